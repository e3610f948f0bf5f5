/*
 * A main() for fuzz targets built without libFuzzer: calls
 * LLVMFuzzerTestOneInput once on every file named on the command line or
 * found (not recursively) in a directory named there, so the seed corpus is
 * replayed as a regression test by any compiler, under any sanitizer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "fuzz: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || st.st_size < 0) {
		fprintf(stderr, "fuzz: cannot stat %s\n", path);
		fclose(f);
		return -1;
	}
	/*
	 * Exactly the file's size, never padded, so a sanitizer sees a read
	 * past the end. Never NULL, as under libFuzzer, even when empty.
	 */
	size_t size = (size_t)st.st_size;
	uint8_t *data = malloc(size != 0 ? size : 1);
	if (data == NULL || fread(data, 1, size, f) != size) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	printf("fuzz: running %s (%zu bytes)\n", path, size);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	(*count)++;
	return 0;
}

static int
run_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	/* Sorted, so a failure reproduces in the same order. */
	int n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "fuzz: cannot list %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		if (rc == 0 && names[i]->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir,
			names[i]->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = run_file(path, count);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t count = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz: cannot find %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		if ((S_ISDIR(st.st_mode) ? run_dir(argv[i], &count)
					 : run_file(argv[i], &count)) < 0)
			return 1;
	}
	/* An empty corpus would pass while testing nothing. */
	if (count == 0) {
		fprintf(stderr, "fuzz: no inputs found\n");
		return 1;
	}
	printf("fuzz: %zu inputs passed\n", count);
	return 0;
}
