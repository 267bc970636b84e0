build-fuzz/obj/address.o: shim/address.c shim/shim.h include/sockredir.h \
  include/sockredir-public.h

shim/shim.h:

include/sockredir.h:

include/sockredir-public.h:
