build-fuzz/obj/allow.o: shim/allow.c include/sockredir.h \
  include/sockredir-public.h shim/shim.h

include/sockredir.h:

include/sockredir-public.h:

shim/shim.h:
