build-fuzz/obj/config.o: shim/config.c include/sockredir.h \
  include/sockredir-public.h shim/shim.h

include/sockredir.h:

include/sockredir-public.h:

shim/shim.h:
