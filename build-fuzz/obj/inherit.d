build-fuzz/obj/inherit.o: shim/inherit.c shim/shim.h include/sockredir.h

shim/shim.h:

include/sockredir.h:
