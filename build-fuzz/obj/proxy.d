build-fuzz/obj/proxy.o: shim/proxy.c include/sockredir.h \
  include/sockredir-public.h shim/shim.h

include/sockredir.h:

include/sockredir-public.h:

shim/shim.h:
