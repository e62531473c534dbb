{
  "targets": [
    {
      "target_name": "splice",
      "sources": ["splice.c", "pump.c", "relay.c", "accept.c", "notify.c", "sockinfo.c", "udp.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "conditions": [
        ['OS!="linux"', {"sources/": [["exclude", "splice.c$"], ["exclude", "notify.c$"], ["exclude", "udp.c$"], ["exclude", "pump.c$"], ["exclude", "relay.c$"], ["exclude", "accept.c$"]]}]
      ]
    }
  ]
}
