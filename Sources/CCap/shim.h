#ifndef RIPTIDES_CCAP_SHIM_H
#define RIPTIDES_CCAP_SHIM_H
#include <sys/capability.h>
#endif
