build-fuzz/obj/proxy.o: shim/proxy.c include/sockredir.h shim/shim.h

include/sockredir.h:

shim/shim.h:
