build-fuzz/obj/values.o: shim/values.c shim/shim.h include/sockredir.h

shim/shim.h:

include/sockredir.h:
