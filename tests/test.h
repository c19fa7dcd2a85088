/* test.h: a minimal check counter for the C test programs; each prints `N passed, N failed`. */
#ifndef AIMET_TEST_H
#define AIMET_TEST_H
#include <stdio.h>

static int test_passed, test_failed;

#define CHECK(cond, ...)                                                                      \
	do {                                                                                  \
		if (cond) {                                                                   \
			test_passed++;                                                        \
		} else {                                                                      \
			test_failed++;                                                        \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                  \
			fprintf(stderr, __VA_ARGS__);                                         \
			fputc('\n', stderr);                                                  \
		}                                                                             \
	} while (0)

/* Print the closing line and give the exit status for main(). */
static inline int test_done(void)
{
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed ? 1 : 0;
}
#endif
