// ./udp.c's part of the addon's exports (the module's init is in ./splice.c).
#ifndef MRSOCKO_UDP_H
#define MRSOCKO_UDP_H
#include <node_api.h>
void udp_register(napi_env env, napi_value exports);
#endif
