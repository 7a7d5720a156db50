/* SPDX-License-Identifier: MIT */
/* Replays fuzz corpora without libFuzzer: every file named on the command line, or found in a
 * directory named there, is passed once to LLVMFuzzerTestOneInput. A crash or sanitizer report
 * fails the test; an empty corpus fails too, so a lost corpus cannot pass silently. Each input is
 * passed in a heap buffer of its exact size, as libFuzzer does.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *data = malloc(cap);
	size_t n;
	while (data && (n = fread(data + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *p = realloc(data, cap * 2);
			if (!p) {
				free(data);
				data = NULL;
				break;
			}
			data = p;
			cap *= 2;
		}
	}
	fclose(f);
	/* The input goes in a buffer of its exact size, as libFuzzer passes it, so that under ASan
	 * a read one byte past the end fails the replay too. */
	uint8_t *exact = data ? malloc(len ? len : 1) : NULL;
	if (exact)
		memcpy(exact, data, len);
	free(data);
	if (!exact)
		return -1;
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int replay_path(const char *path, size_t *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		perror(path);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && rc == 0) {
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			rc = replay_path(sub, count);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			return 1;
	if (count == 0) {
		fprintf(stderr, "replay: no corpus files found\n");
		return 1;
	}
	printf("replayed %zu inputs\n", count);
	return 0;
}
