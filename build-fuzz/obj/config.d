build-fuzz/obj/config.o: shim/config.c include/sockredir.h shim/shim.h

include/sockredir.h:

shim/shim.h:
