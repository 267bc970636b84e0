build-fuzz/obj/values.o: shim/values.c shim/shim.h include/sockredir.h \
  include/sockredir-public.h

shim/shim.h:

include/sockredir.h:

include/sockredir-public.h:
