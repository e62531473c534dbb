// What ./notify.c and ./splice.c share: notify.c's part of the addon's exports (the module's
// init is in ./splice.c), and calling back into JavaScript.
#ifndef MRSOCKO_NOTIFY_H
#define MRSOCKO_NOTIFY_H
#include <node_api.h>
void notify_register(napi_env env, napi_value exports);
/*
 * Calls the JavaScript callback `callback_ref` on `self_ref` from a libuv callback (the
 * caller holds a handle scope, in which it made `argv`); an exception it throws is raised
 * as an uncaught one, as Node does for its own callbacks, rather than lost. In ./splice.c.
 */
void mrsocko_call_js(napi_env env, napi_async_context async, napi_ref self_ref, napi_ref callback_ref,
                     size_t argc, const napi_value *argv);

/** The same with callback(kind, a, b), in a handle scope of its own: the reports of ./relay.c and ./udp.c. */
void mrsocko_report(napi_env env, napi_async_context async, napi_ref self_ref, napi_ref callback_ref,
                    int kind, double a, double b);

#endif
