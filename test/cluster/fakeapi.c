/* The in-process apiserver double of the kube tests (test/kube/fakeapi.c), compiled into this suite as well. */
#include "../kube/fakeapi.c"
