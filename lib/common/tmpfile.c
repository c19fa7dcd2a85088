/* tmpfile.c: atomic output — write a temporary beside the target, rename on success — with a
 * registry of pending temporaries that a signal handler can remove. */
#include "aimet.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PENDING 64
/* Fixed-size slots so the signal handler reads them without locks or allocation. */
static char pending[MAX_PENDING][4096];
static volatile sig_atomic_t pending_used[MAX_PENDING];

static void pending_add(const char *path)
{
	size_t len = strlen(path);
	if (len >= sizeof(pending[0]))
		return;
	for (int i = 0; i < MAX_PENDING; i++)
		if (!pending_used[i]) {
			memcpy(pending[i], path, len + 1);
			pending_used[i] = 1;
			return;
		}
}

static void pending_remove(const char *path)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending_used[i] && !strcmp(pending[i], path))
			pending_used[i] = 0;
}

/* Only regular files are ever removed: a device written in place stays. */
static void remove_if_file(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
}

void aimet_tmpfiles_cleanup(void)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending_used[i]) {
			unlink(pending[i]);
			pending_used[i] = 0;
		}
}

int aimet_tmpfile_create(struct aimet_ctx *ctx, const char *final_path, char **tmp_path, FILE **fp)
{
	const char *slash = strrchr(final_path, '/');
	size_t dirlen = slash ? (size_t)(slash - final_path) + 1 : 0;
	const char *base = slash ? slash + 1 : final_path;
	size_t n = dirlen + strlen(base) + 16;
	char *tmp;
	int fd;
	struct stat st;
	if (!*base)
		return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': not a file name", final_path);
	if (stat(final_path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A device or FIFO (/dev/null, /dev/full, a pipe) is written in place: renaming a
		 * temporary over it would replace the device with a file. */
		if (S_ISDIR(st.st_mode))
			return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': is a directory", final_path);
		if (!(*fp = fopen(final_path, "wb")))
			return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", final_path, strerror(errno));
		if (!(*tmp_path = strdup(final_path))) {
			fclose(*fp);
			return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
		}
		return AIMET_OK;
	}
	tmp = malloc(n);
	if (!tmp)
		return aimet_error(ctx, AIMET_ERR_NOMEM, "out of memory");
	snprintf(tmp, n, "%.*s.%s.tmpXXXXXX", (int)dirlen, final_path, base);
	fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", final_path, strerror(e));
	}
	/* mkstemp makes 0600; outputs get the usual permissions under the umask */
	{
		mode_t um = umask(0);
		umask(um);
		fchmod(fd, 0666 & ~um);
	}
	*fp = fdopen(fd, "wb");
	if (!*fp) {
		close(fd);
		unlink(tmp);
		free(tmp);
		return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s'", final_path);
	}
	pending_add(tmp);
	*tmp_path = tmp;
	return AIMET_OK;
}

int aimet_tmpfile_commit(struct aimet_ctx *ctx, FILE *fp, const char *tmp_path, const char *final_path)
{
	int bad = fflush(fp) != 0 || ferror(fp);
	int e = bad ? errno : 0;
	if (!bad && fsync(fileno(fp)) != 0 && errno != EINVAL && errno != EROFS) {
		bad = 1;
		e = errno;
	}
	if (fclose(fp) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (!bad && strcmp(tmp_path, final_path) && rename(tmp_path, final_path) != 0) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		remove_if_file(tmp_path);
		pending_remove(tmp_path);
		return aimet_error(ctx, AIMET_ERR_IO, "cannot write '%s': %s", final_path,
		                   e ? strerror(e) : "write error");
	}
	pending_remove(tmp_path);
	return AIMET_OK;
}

void aimet_tmpfile_discard(FILE *fp, const char *tmp_path)
{
	if (fp)
		fclose(fp);
	if (tmp_path) {
		remove_if_file(tmp_path);
		pending_remove(tmp_path);
	}
}
