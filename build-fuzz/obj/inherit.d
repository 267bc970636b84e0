build-fuzz/obj/inherit.o: shim/inherit.c shim/shim.h include/sockredir.h \
  include/sockredir-public.h

shim/shim.h:

include/sockredir.h:

include/sockredir-public.h:
