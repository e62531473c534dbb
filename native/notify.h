// ./notify.c's part of the addon's exports (the module's init is in ./splice.c).
#ifndef MRSOCKO_NOTIFY_H
#define MRSOCKO_NOTIFY_H
#include <node_api.h>
void notify_register(napi_env env, napi_value exports);
#endif
