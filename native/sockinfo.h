// ./sockinfo.c's part of the addon's exports (the module's init is in ./splice.c).
#ifndef MRSOCKO_SOCKINFO_H
#define MRSOCKO_SOCKINFO_H
#include <node_api.h>
void sockinfo_register(napi_env env, napi_value exports);
#endif
