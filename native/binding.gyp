{
  "targets": [
    {
      "target_name": "splice",
      "sources": ["splice.c", "notify.c", "sockinfo.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "conditions": [
        ['OS!="linux"', {"sources/": [["exclude", "splice.c$"], ["exclude", "notify.c$"]]}]
      ]
    }
  ]
}
