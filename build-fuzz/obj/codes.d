build-fuzz/obj/codes.o: shim/codes.c shim/shim.h include/sockredir.h \
  include/sockredir-public.h

shim/shim.h:

include/sockredir.h:

include/sockredir-public.h:
