build-fuzz/obj/allow.o: shim/allow.c include/sockredir.h shim/shim.h

include/sockredir.h:

shim/shim.h:
