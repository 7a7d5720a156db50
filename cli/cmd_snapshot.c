/* SPDX-License-Identifier: MIT */
/* patrol snapshot: renders the stored evidence of hits (the captured bytes, never the live page)
 * in headless Chromium and keeps the PNG in the store (index/snapshot.c). The browser is driven
 * over the DevTools protocol on a socket pair (--remote-debugging-pipe: no port, no network):
 * scripts are off, every request but the one for the captured page is refused in the browser
 * (Fetch domain), that page carries a no-request CSP, the proxy and resolver point nowhere, and a
 * deadline kills the browser's whole process group. docs/snapshots.md says why each is there.
 * Runs in the calling thread; the browser is a child process, one per rendering.
 */
#include "cli/cli.h"
#include "cli/snapshot.h"

#include "cli/hitfmt.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/venue.h"
#include "index/store.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define SNAP_TIMEOUT_S	 30 /* default time for one rendering, start to PNG */
#define SNAP_TIMEOUT_MAX 600
#define SNAP_BODY_MAX	 (32u << 20) /* captured body bytes we hand to the browser */
#define SNAP_MSG_MAX	 (96u << 20) /* one message from the browser (a screenshot, base64) */
#define SNAP_PNG_MAX	 (64u << 20)
#define SNAP_WIDTH	 1280 /* the viewport: a desktop page's usual width */
#define SNAP_VIEW_H	 800
#define SNAP_MAX_W	 4096  /* a page wider than this is cut at the right */
#define SNAP_MAX_H	 16384 /* and a longer one at the bottom: the compositor's limit */
#define SNAP_CLOSE_MS	 3000  /* grace for the browser to exit after Browser.close */
#define SNAP_CT_MAX	 200
/* Where the captured page is served from, inside the browser only: .invalid never resolves
 * (RFC 6761), and an http origin may not load file:// URLs. */
#define SNAP_PAGE_URL "http://evidence.patrol.invalid/"
/* What the captured page may load: nothing but its own inline styles and data: images/fonts. */
#define SNAP_CSP                                                                                   \
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "           \
	"form-action 'none'; base-uri 'none'"

static const char *const snapshot_help =
	N_("usage: patrol snapshot [--force] [--timeout SECONDS] [-o FILE] ID...\n"
	   "\n"
	   "Render the stored evidence of each hit (the response as captured, not the live\n"
	   "page) in headless Chromium, full page, and keep the PNG in the store (--db) under\n"
	   "its SHA-256, beside the evidence; patrol hit show names it. JavaScript is off and\n"
	   "no request leaves the browser: images, styles, scripts and fonts the page links to\n"
	   "are not loaded (docs/snapshots.md). A response rendered before is not rendered\n"
	   "again unless --force.\n"
	   "\n"
	   "  --force            render again, even when a snapshot is stored\n"
	   "  --timeout SECONDS  time for one rendering, browser start included (default 30);\n"
	   "                     the browser is killed when it is over\n"
	   "  -o, --output FILE  also write the PNG to FILE (one ID only)\n"
	   "\n"
	   "The browser is $PATROL_CHROMIUM when set, else chromium (or chromium-browser) in\n"
	   "$PATH; as root or with $PATROL_CHROMIUM_NO_SANDBOX set it runs without its sandbox.\n"
	   "With the global --json, one object per hit: {\"hit\", \"evidence\", \"snapshot\",\n"
	   "\"width\", \"height\", \"bytes\", \"rendered\"}.\n"
	   "Exit status: 0 every hit has a snapshot, 1 one failed, 2 usage or no browser.\n");

/* ---- Base64, for the page's body going in and the PNG coming out ---- */

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A malloc'd NUL-terminated encoding of data; NULL when out of memory. */
static char *b64_encode(const uint8_t *data, size_t len, size_t *ret_len)
{
	size_t n = (len + 2) / 3 * 4, o = 0;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		out[o++] = b64_chars[v >> 18 & 63];
		out[o++] = b64_chars[v >> 12 & 63];
		out[o++] = i + 1 < len ? b64_chars[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? b64_chars[v & 63] : '=';
	}
	out[o] = '\0';
	*ret_len = o;
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;
	return p ? (int)(p - b64_chars) : -1;
}

/* Decodes s (whitespace not allowed, '=' padding at the end only) into a malloc'd buffer of at
 * most cap bytes. ERR_PARSE for anything that is not base64, ERR_TOO_BIG over cap. */
static int b64_decode(const char *s, size_t len, size_t cap, uint8_t **ret, size_t *ret_len)
{
	while (len && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return ERR_PARSE;
	if (len / 4 * 3 + 3 > cap)
		return ERR_TOO_BIG;
	uint8_t *out = malloc(len / 4 * 3 + 3);
	if (!out)
		return -ENOMEM;
	uint32_t acc = 0;
	size_t o = 0, bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(s[i]);
		if (v < 0) {
			free(out);
			return ERR_PARSE;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*ret = out;
	*ret_len = o;
	return 0;
}

/* ---- The captured page: body and content type from the stored response ---- */

struct snap_page {
	const char *body; /* into the stored response */
	size_t body_len;
	char content_type[SNAP_CT_MAX + 64];
};

/* Where the header block ends in a stored response (status line, headers, CRLF CRLF). */
static size_t snap_head_end(const char *data, size_t len)
{
	const char *e = memmem(data, len, "\r\n\r\n", 4);
	if (e)
		return (size_t)(e - data) + 4;
	e = memmem(data, len, "\n\n", 2);
	return e ? (size_t)(e - data) + 2 : 0; /* none: a response kept without headers */
}

/* The Content-Type of the head, trimmed, when it is printable ASCII of a sane length. */
static void snap_content_type(const char *head, size_t len, char *out, size_t outlen)
{
	out[0] = '\0';
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(head + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - head) : len, n = end - i;
		const char *line = head + i;
		i = end + 1;
		if (n < 13 || strncasecmp(line, "content-type:", 13) != 0)
			continue;
		line += 13;
		n -= 13;
		while (n && (*line == ' ' || *line == '\t'))
			line++, n--;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		bool ok = n > 0 && n <= SNAP_CT_MAX && n < outlen;
		for (size_t k = 0; ok && k < n; k++)
			ok = line[k] >= 0x20 && line[k] < 0x7f;
		if (ok)
			snprintf(out, outlen, "%.*s", (int)n, line);
		else
			out[0] = '\0';
	}
}

/* A charset name safe in a header: letters, digits, - _ . : only. */
static bool snap_charset_ok(const char *cs)
{
	size_t n = strlen(cs);
	return n > 0 && n < 40 &&
	       strspn(cs, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") ==
		       n;
}

/* Splits the response; the content type is the captured one (text/html when it had none), with
 * the charset patrol decoded the page with (page_charset, "" when unknown) when it named none. */
static void snap_page_init(struct snap_page *pg, const char *data, size_t len,
			   const char *page_charset)
{
	size_t off = snap_head_end(data, len);
	pg->body = data + off;
	pg->body_len = len - off;
	snap_content_type(data, off, pg->content_type, SNAP_CT_MAX + 1);
	if (!pg->content_type[0])
		strcpy(pg->content_type, "text/html");
	if (!strcasestr(pg->content_type, "charset=") && snap_charset_ok(page_charset))
		snprintf(pg->content_type + strlen(pg->content_type),
			 sizeof(pg->content_type) - strlen(pg->content_type), "; charset=%s",
			 page_charset);
}

/* ---- The browser: a child process spoken to over the DevTools protocol ---- */

struct cdp {
	pid_t pid;	/* leads its own process group; 0 when not running */
	int fd;		/* our end of the socket pair: messages are JSON, NUL-terminated */
	struct buf out; /* queued for the browser; out_off bytes of it written */
	size_t out_off;
	struct buf in;	  /* read, not yet parsed */
	int64_t deadline; /* clock_mono_ms */
	uint64_t next_id, want_id;
	json_t *reply; /* the response to want_id, once it came */
	char session[128];
	const struct snap_page *page;
	bool served, loaded, gone;
};

/* Queues one command (params is taken); the id it was sent under into *ret_id (may be NULL). */
static int cdp_send(struct cdp *c, const char *method, json_t *params, uint64_t *ret_id)
{
	uint64_t id = ++c->next_id;
	json_t *m = json_pack("{sI ss so}", "id", (json_int_t)id, "method", method, "params",
			      params ? params : json_object());
	if (m && c->session[0])
		json_object_set_new(m, "sessionId", json_string(c->session));
	char *s = m ? json_dumps(m, JSON_COMPACT) : NULL;
	json_decref(m);
	if (!s)
		return -ENOMEM;
	int rc = buf_add(&c->out, s, strlen(s) + 1); /* with its NUL: the message separator */
	free(s);
	if (!rc && ret_id)
		*ret_id = id;
	return rc;
}

/* Serves the captured page to its one navigation; refuses every other request. */
static int cdp_paused(struct cdp *c, json_t *params)
{
	const char *rid = json_string_value(json_object_get(params, "requestId"));
	const char *url =
		json_string_value(json_object_get(json_object_get(params, "request"), "url"));
	const char *type = json_string_value(json_object_get(params, "resourceType"));
	if (!rid)
		return 0;
	if (c->served || !url || strcmp(url, SNAP_PAGE_URL) != 0 || !type ||
	    strcmp(type, "Document") != 0) /* Aborted: a refused navigation keeps the page */
		return cdp_send(c, "Fetch.failRequest",
				json_pack("{ss ss}", "requestId", rid, "errorReason", "Aborted"),
				NULL);
	size_t blen = 0;
	char *b64 = b64_encode((const uint8_t *)c->page->body, c->page->body_len, &blen);
	json_t *body = b64 ? json_stringn_nocheck(b64, blen) : NULL;
	free(b64);
	json_t *p = body ? json_pack("{ss si s[{ss ss}{ss ss}{ss ss}] so}", "requestId", rid,
				     "responseCode", 200, "responseHeaders", "name", "Content-Type",
				     "value", c->page->content_type, "name",
				     "Content-Security-Policy", "value", SNAP_CSP, "name",
				     "X-DNS-Prefetch-Control", "value", "off", "body", body)
			 : NULL;
	if (!p)
		return -ENOMEM;
	c->served = true;
	return cdp_send(c, "Fetch.fulfillRequest", p, NULL);
}

static int cdp_message(struct cdp *c, json_t *m)
{
	json_t *id = json_object_get(m, "id");
	if (json_is_integer(id)) {
		if ((uint64_t)json_integer_value(id) == c->want_id && !c->reply)
			c->reply = json_incref(m);
		return 0;
	}
	const char *method = json_string_value(json_object_get(m, "method"));
	if (!method)
		return 0;
	if (strcmp(method, "Fetch.requestPaused") == 0)
		return cdp_paused(c, json_object_get(m, "params"));
	if (strcmp(method, "Page.loadEventFired") == 0)
		c->loaded = c->loaded || c->served; /* about:blank's own load does not count */
	else if (strcmp(method, "Inspector.targetCrashed") == 0 ||
		 strcmp(method, "Target.targetCrashed") == 0)
		c->gone = true;
	return 0;
}

/* Reads what the browser sent and handles each complete message. */
static int cdp_read(struct cdp *c)
{
	char chunk[64 << 10];
	ssize_t n = read(c->fd, chunk, sizeof(chunk));
	if (n < 0 && errno == ECONNRESET)
		n = 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		c->gone = true; /* the browser exited or closed its end */
		return 0;
	}
	int rc = buf_add(&c->in, chunk, (size_t)n);
	size_t used = 0;
	const char *nul;
	while (!rc && (nul = memchr(c->in.data + used, '\0', c->in.len - used))) {
		json_t *m =
			json_loadb(c->in.data + used, (size_t)(nul - c->in.data) - used, 0, NULL);
		used = (size_t)(nul - c->in.data) + 1;
		rc = m ? cdp_message(c, m) : -EPROTO;
		json_decref(m);
	}
	if (used) {
		memmove(c->in.data, c->in.data + used, c->in.len - used);
		c->in.len -= used;
	}
	return rc;
}

static int cdp_write(struct cdp *c)
{
	ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
		c->gone = true; /* the browser exited: cdp_pump says so */
	if (n < 0)
		return errno == EAGAIN || errno == EINTR || c->gone ? 0 : -errno;
	c->out_off += (size_t)n;
	if (c->out_off == c->out.len) {
		buf_reset(&c->out);
		c->out_off = 0;
	}
	return 0;
}

static bool cdp_replied(const struct cdp *c)
{
	return c->reply != NULL;
}

static bool cdp_loaded(const struct cdp *c)
{
	return c->loaded;
}

static bool cdp_gone(const struct cdp *c)
{
	return c->gone;
}

/* Moves messages both ways until done(c) holds, the browser is gone or deadline passes. */
static int cdp_pump(struct cdp *c, bool (*done)(const struct cdp *c), int64_t deadline)
{
	while (!done(c)) {
		int64_t left = deadline - clock_mono_ms();
		if (c->gone)
			return -EPIPE;
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {c->fd, POLLIN | (c->out.len > c->out_off ? POLLOUT : 0), 0};
		int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		int rc = 0;
		if (n > 0 && (p.revents & POLLOUT))
			rc = cdp_write(c);
		if (!rc && n > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
			rc = cdp_read(c);
		if (rc)
			return rc;
	}
	return 0;
}

/* Sends a command and waits for its answer: its result into *ret (may be NULL; json_decref it).
 * -EPROTO when the browser answered with an error. */
static int cdp_call(struct cdp *c, const char *method, json_t *params, json_t **ret)
{
	json_decref(c->reply);
	c->reply = NULL;
	int rc = cdp_send(c, method, params, &c->want_id);
	if (!rc)
		rc = cdp_pump(c, cdp_replied, c->deadline);
	if (rc)
		return rc;
	json_t *res = json_object_get(c->reply, "result");
	if (!res || json_object_get(c->reply, "error"))
		return -EPROTO;
	if (ret)
		*ret = json_incref(res);
	return 0;
}

/* The browser to run into out: $PATROL_CHROMIUM when set (it must be executable), else the
 * first chromium or chromium-browser in $PATH. -ENOENT when there is none. */
static int snap_browser_find(char *out, size_t outlen)
{
	const char *env = getenv("PATROL_CHROMIUM");
	if (env && env[0]) {
		if (access(env, X_OK) != 0 || (size_t)snprintf(out, outlen, "%s", env) >= outlen)
			return -ENOENT;
		return 0;
	}
	static const char *const names[] = {"chromium", "chromium-browser"};
	const char *path = getenv("PATH");
	for (size_t i = 0; path && i < sizeof(names) / sizeof(names[0]); i++) {
		for (const char *p = path; *p;) {
			size_t n = strcspn(p, ":");
			int w = snprintf(out, outlen, "%.*s/%s", (int)n, p, names[i]);
			if (n && w > 0 && (size_t)w < outlen && access(out, X_OK) == 0)
				return 0;
			p += n + (p[n] == ':');
		}
	}
	return -ENOENT;
}

/* In the child: the socket as fds 3 and 4 (the DevTools pipe), stdio on /dev/null (stderr kept
 * when verbose), then the browser with envp (snap_env). Only async-signal-safe calls here: patrol
 * serve forks from more than one thread. */
static void snap_child(int sock, const char *browser, const char *const argv[], char *const envp[],
		       bool verbose)
{
	setpgid(0, 0);
	int s = fcntl(sock, F_DUPFD, 10), nul = open("/dev/null", O_RDWR);
	if (s < 0 || nul < 0 || dup2(s, 3) < 0 || dup2(s, 4) < 0 || dup2(nul, 0) < 0 ||
	    dup2(nul, 1) < 0 || (!verbose && dup2(nul, 2) < 0))
		_exit(127);
	close_range(5, ~0U, 0); /* the store's files, and anything else of ours */
	execve(browser, (char *const *)argv, envp); /* execve does not change them */
	_exit(127);
}

/* The browser's environment, made before the fork (setenv in the child of a threaded process
 * may deadlock on libc's locks): ours, with HOME and the XDG directories in the private
 * directory and D-Bus off. The strings of the last four entries are in set[]; free the array. */
#define SNAP_ENV_SET 4
static char **snap_env(const char *dir, char set[SNAP_ENV_SET][PATH_MAX + 32])
{
	static const char *const names[SNAP_ENV_SET] = {"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
							"DBUS_SESSION_BUS_ADDRESS"};
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	char **envp = calloc(n + SNAP_ENV_SET + 1, sizeof(*envp));
	if (!envp)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool ours = false;
		for (size_t j = 0; j < SNAP_ENV_SET && !ours; j++) {
			size_t l = strlen(names[j]);
			ours = strncmp(environ[i], names[j], l) == 0 && environ[i][l] == '=';
		}
		if (!ours)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < SNAP_ENV_SET; j++) {
		snprintf(set[j], sizeof(set[j]), "%s=%s", names[j],
			 j == SNAP_ENV_SET - 1 ? "disabled:" : dir);
		envp[k++] = set[j];
	}
	return envp;
}

static int cdp_start(struct cdp *c, const char *browser, const char *dir, bool verbose)
{
	char profile[PATH_MAX + 32];
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/profile", dir);
	bool no_sandbox = geteuid() == 0 || getenv("PATROL_CHROMIUM_NO_SANDBOX");
	const char *argv[] = {browser,
			      "--headless=new",
			      "--remote-debugging-pipe",
			      profile,
			      "--disable-gpu",
			      "--hide-scrollbars",
			      "--mute-audio",
			      "--no-first-run",
			      "--no-default-browser-check",
			      "--disable-background-networking",
			      "--disable-component-update",
			      "--disable-sync",
			      "--disable-extensions",
			      "--disable-default-apps",
			      "--disable-breakpad",
			      "--deny-permission-prompts",
			      "--blink-settings=scriptEnabled=false",
			      "--proxy-server=127.0.0.1:9",
			      "--proxy-bypass-list=<-loopback>",
			      "--host-resolver-rules=MAP * ~NOTFOUND",
			      "--window-size=1280,800",
			      "about:blank",
			      no_sandbox ? "--no-sandbox" : NULL,
			      NULL};
	char set[SNAP_ENV_SET][PATH_MAX + 32];
	char **envp = snap_env(dir, set);
	int sv[2];
	if (!envp)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		int e = -errno;
		free(envp);
		return e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(sv[0]);
		close(sv[1]);
		free(envp);
		return e;
	}
	if (pid == 0)
		snap_child(sv[1], browser, argv, envp, verbose);
	free(envp);
	setpgid(pid, pid); /* also here: the kill below must not race the child's own call */
	close(sv[1]);
	c->pid = pid;
	c->fd = sv[0];
	return 0;
}

/* Asks the browser to close, waits a little, then kills its process group whatever happened,
 * so that no renderer outlives the rendering. NULL-safe on a browser never started. */
static void cdp_stop(struct cdp *c, bool polite)
{
	if (c->pid <= 0)
		return;
	if (polite && !c->gone) {
		c->session[0] = '\0'; /* Browser.close is a browser command */
		if (cdp_send(c, "Browser.close", NULL, NULL) == 0)
			cdp_pump(c, cdp_gone, clock_mono_ms() + SNAP_CLOSE_MS);
	}
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL); /* in case it never got its own group */
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
	close(c->fd);
	c->fd = -1;
}

static int snap_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* A private directory for the browser's profile: mode 0700 under $TMPDIR. */
static int snap_tmpdir(char *out, size_t outlen)
{
	const char *t = getenv("TMPDIR");
	if ((size_t)snprintf(out, outlen, "%s/patrol-snapshot-XXXXXX", t && t[0] ? t : "/tmp") >=
	    outlen)
		return -ENAMETOOLONG;
	if (mkdtemp(out))
		return 0;
	/* -ENOENT answers "is there a browser?" to this file's callers and the review UI; a
	 * $TMPDIR that does not exist is not a directory to put a profile in */
	return errno == ENOENT ? -ENOTDIR : -errno;
}

/* ---- Rendering ---- */

/* The page's full size in CSS pixels, capped: at least the viewport's width. */
static int snap_size(struct cdp *c, int *ret_w, int *ret_h)
{
	json_t *r = NULL;
	int rc = cdp_call(c, "Page.getLayoutMetrics", NULL, &r);
	if (rc)
		return rc;
	json_t *cs = json_object_get(r, "cssContentSize");
	double w = json_number_value(json_object_get(cs, "width"));
	double h = json_number_value(json_object_get(cs, "height"));
	json_decref(r);
	if (!(w >= 0) || !(h >= 0)) /* also NaN */
		return -EPROTO;
	*ret_w = w < SNAP_WIDTH ? SNAP_WIDTH : w > SNAP_MAX_W ? SNAP_MAX_W : (int)ceil(w);
	*ret_h = h < 1 ? 1 : h > SNAP_MAX_H ? SNAP_MAX_H : (int)ceil(h);
	return 0;
}

static int snap_capture(struct cdp *c, uint8_t **ret_png, size_t *ret_len)
{
	int w, h;
	json_t *r = NULL;
	int rc = snap_size(c, &w, &h);
	if (!rc)
		rc = cdp_call(c, "Page.captureScreenshot",
			      json_pack("{ss sb sb s{si si si si si}}", "format", "png",
					"captureBeyondViewport", 1, "fromSurface", 1, "clip", "x",
					0, "y", 0, "width", w, "height", h, "scale", 1),
			      &r);
	if (rc)
		return rc;
	json_t *data = json_object_get(r, "data");
	rc = json_is_string(data) ? b64_decode(json_string_value(data), json_string_length(data),
					       SNAP_PNG_MAX, ret_png, ret_len)
				  : -EPROTO;
	json_decref(r);
	return rc;
}

/* Opens a tab, attaches to it (every later command goes to it), turns scripts off and takes
 * over every request, then loads the captured page and waits for its load event. */
static int snap_load(struct cdp *c)
{
	json_t *r = NULL;
	int rc = cdp_call(c, "Target.createTarget", json_pack("{ss}", "url", "about:blank"), &r);
	const char *tid = rc ? NULL : json_string_value(json_object_get(r, "targetId"));
	json_t *a = NULL;
	if (!rc)
		rc = tid ? cdp_call(c, "Target.attachToTarget",
				    json_pack("{ss sb}", "targetId", tid, "flatten", 1), &a)
			 : -EPROTO;
	json_decref(r);
	const char *sid = rc ? NULL : json_string_value(json_object_get(a, "sessionId"));
	if (!rc && (!sid || (size_t)snprintf(c->session, sizeof(c->session), "%s", sid) >=
				    sizeof(c->session)))
		rc = -EPROTO;
	json_decref(a);
	if (!rc)
		rc = cdp_call(c, "Emulation.setScriptExecutionDisabled",
			      json_pack("{sb}", "value", 1), NULL);
	if (!rc)
		rc = cdp_call(c, "Fetch.enable",
			      json_pack("{s[{ss}]}", "patterns", "urlPattern", "*"), NULL);
	if (!rc)
		rc = cdp_call(c, "Page.enable", NULL, NULL);
	r = NULL;
	if (!rc)
		rc = cdp_call(c, "Page.navigate", json_pack("{ss}", "url", SNAP_PAGE_URL), &r);
	if (!rc && json_object_get(r, "errorText"))
		rc = ERR_HTTP; /* the browser did not take the page */
	json_decref(r);
	return rc ? rc : cdp_pump(c, cdp_loaded, c->deadline);
}

/* Renders pg in a fresh browser within timeout_s seconds: a malloc'd PNG. */
static int snap_render(const char *browser, const struct snap_page *pg, int timeout_s, bool verbose,
		       uint8_t **ret_png, size_t *ret_len)
{
	char dir[PATH_MAX];
	struct cdp c = {.fd = -1, .page = pg};
	int rc = snap_tmpdir(dir, sizeof(dir));
	if (rc)
		return rc;
	buf_init(&c.out, SNAP_MSG_MAX);
	buf_init(&c.in, SNAP_MSG_MAX);
	c.deadline = clock_mono_ms() + (int64_t)timeout_s * 1000;
	rc = cdp_start(&c, browser, dir, verbose);
	if (!rc)
		rc = snap_load(&c);
	if (!rc)
		rc = snap_capture(&c, ret_png, ret_len);
	cdp_stop(&c, rc == 0);
	json_decref(c.reply);
	buf_done(&c.out);
	buf_done(&c.in);
	nftw(dir, snap_rm, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}

/* Width and height from a PNG's IHDR; ERR_PARSE when it is not a PNG. */
static int snap_png_size(const uint8_t *p, size_t len, uint32_t *ret_w, uint32_t *ret_h)
{
	static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	if (len < 24 || memcmp(p, sig, 8) != 0 || memcmp(p + 12, "IHDR", 4) != 0)
		return ERR_PARSE;
	*ret_w = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
	*ret_h = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
	return 0;
}

/* ---- Hits ---- */

/* What one snapshot needs and gives. */
struct snap_job {
	struct store *store;
	const char *browser;
	int timeout_s;
	bool force, verbose;
	const char *output; /* also write the PNG here; NULL: no */
	enum cli_snapshot_policy policy;
	/* the hit */
	char *url, status[32];
	uint8_t evidence[DIGEST_LEN];
	bool found;
	char charset[48]; /* the page's, when its body is the evidence's */
	/* the result */
	struct store_snapshot snap;
	bool rendered;
	char why[160]; /* what failed, for the user */
};

static int snap_hit_fn(const struct store_hit *h, void *ud)
{
	struct snap_job *j = ud;
	j->found = true;
	memcpy(j->evidence, h->evidence, DIGEST_LEN);
	snprintf(j->status, sizeof(j->status), "%s", h->status ? h->status : "");
	j->url = strdup(h->url ? h->url : "");
	return j->url ? 0 : -ENOMEM;
}

struct snap_page_ctx {
	struct snap_job *j;
	uint8_t body_digest[DIGEST_LEN];
};

/* The charset patrol decoded the page with, when the page record is of this very body. */
static int snap_page_fn(const struct store_page *p, void *ud)
{
	struct snap_page_ctx *x = ud;
	if (memcmp(p->body_digest, x->body_digest, DIGEST_LEN) == 0 && p->charset)
		snprintf(x->j->charset, sizeof(x->j->charset), "%s", p->charset);
	return 0;
}

/* Writes the PNG to path; on failure the reason into why. */
static int snap_write(const char *path, const void *png, size_t len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "wbe");
	bool ok = f && fwrite(png, 1, len, f) == len;
	int e = errno;
	if (f && fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (ok)
		return 0;
	snprintf(why, whylen, _("cannot write %s: %s"), path, strerror(e));
	return -e;
}

/* Renders the response in data and stores the PNG; j->snap describes it. */
static int snap_store(struct snap_job *j, const char *data, size_t len)
{
	struct snap_page pg;
	struct snap_page_ctx x = {.j = j};
	size_t off = snap_head_end(data, len);
	int rc = digest_sha256(data + off, len - off, x.body_digest);
	if (!rc && (rc = store_page_get(j->store, j->url, snap_page_fn, &x)) == ERR_NOT_FOUND)
		rc = 0;
	if (rc)
		return rc;
	snap_page_init(&pg, data, len, j->charset);
	if (pg.body_len > SNAP_BODY_MAX) {
		snprintf(j->why, sizeof(j->why), _("the captured body is over %u MiB"),
			 SNAP_BODY_MAX >> 20);
		return ERR_TOO_BIG;
	}
	uint8_t *png = NULL;
	void *packed = NULL;
	size_t plen = 0, packed_len = 0;
	rc = snap_render(j->browser, &pg, j->timeout_s, j->verbose, &png, &plen);
	if (rc)
		snprintf(j->why, sizeof(j->why), "%s",
			 rc == -ETIMEDOUT
				 ? _("the browser took too long (--timeout) and was killed")
			 : rc == -EPIPE ? _("the browser exited before it was done")
			 : rc == -ENOTDIR || rc == -EACCES
				 ? _("no directory for the browser's profile could be made in $TMPDIR")
				 : _("the browser failed"));
	if (!rc && (rc = snap_png_size(png, plen, &j->snap.width, &j->snap.height)) != 0)
		snprintf(j->why, sizeof(j->why), "%s", _("the browser's screenshot is not a PNG"));
	if (!rc)
		rc = store_evidence_pack(NULL, 0, png, plen, &packed, &packed_len, j->snap.png);
	memcpy(j->snap.evidence, j->evidence, DIGEST_LEN);
	j->snap.taken_at = clock_wall();
	j->snap.bytes = plen;
	if (!rc)
		rc = store_snapshot_put(j->store, &j->snap, packed, packed_len);
	if (!rc && j->output)
		rc = snap_write(j->output, png, plen, j->why, sizeof(j->why));
	free(packed);
	free(png);
	return rc;
}

/* The stored snapshot's PNG into j->output. */
static int snap_copy_out(struct snap_job *j)
{
	char *png = NULL;
	size_t len = 0;
	int rc = store_evidence_get(j->store, j->snap.png, &png, &len);
	if (rc)
		snprintf(j->why, sizeof(j->why), _("cannot read the stored snapshot: %s"),
			 err_str(rc));
	else
		rc = snap_write(j->output, png, len, j->why, sizeof(j->why));
	free(png);
	return rc;
}

/* Looks hit id up, then renders and stores its evidence when the policy wants it and (unless
 * forced) no snapshot of it is stored. On failure j->why says what went wrong when it can. */
static int snap_take(struct snap_job *j, uint64_t id)
{
	static const uint8_t zero[DIGEST_LEN];
	struct store_hit_query q;
	char *data = NULL;
	size_t len = 0;
	store_hit_query_init(&q);
	q.id = id;
	int rc = store_hits_query(j->store, &q, snap_hit_fn, j);
	if (!rc && !j->found) {
		snprintf(j->why, sizeof(j->why), _("no hit #%llu"), (unsigned long long)id);
		return ERR_NOT_FOUND;
	}
	if (!rc && memcmp(j->evidence, zero, DIGEST_LEN) == 0) {
		snprintf(j->why, sizeof(j->why),
			 _("hit #%llu has no evidence stored (found before patrol kept "
			   "responses, or its response was over the evidence cap)"),
			 (unsigned long long)id);
		return ERR_NOT_FOUND;
	}
	if (rc || !cli_snapshot_wanted(j->policy, j->status))
		return rc;
	if (!j->force && (rc = store_snapshot_get(j->store, j->evidence, &j->snap)) == 0)
		return j->output ? snap_copy_out(j) : 0;
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	rc = store_evidence_get(j->store, j->evidence, &data, &len);
	if (rc)
		snprintf(j->why, sizeof(j->why), _("cannot read hit #%llu's evidence: %s"),
			 (unsigned long long)id, err_str(rc));
	else if ((rc = snap_store(j, data, len)) == 0)
		j->rendered = true;
	free(data);
	return rc;
}

static void snap_job_done(struct snap_job *j)
{
	free(j->url);
	j->url = NULL;
}

int cli_snapshot_policy_parse(const char *s, enum cli_snapshot_policy *ret)
{
	static const char *const names[] = {
		[CLI_SNAPSHOT_OFF] = "off",
		[CLI_SNAPSHOT_CONFIRMED] = "confirmed",
		[CLI_SNAPSHOT_ALL] = "all",
	};
	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum cli_snapshot_policy)i;
			return 0;
		}
	return ERR_PARSE;
}

enum cli_snapshot_policy cli_snapshot_policy_of(const struct crawler_settings *s)
{
	switch (s->screenshots) {
	case EVIDENCE_SCREENSHOTS_ALL: return CLI_SNAPSHOT_ALL;
	case EVIDENCE_SCREENSHOTS_OFF: return CLI_SNAPSHOT_OFF;
	default: return CLI_SNAPSHOT_CONFIRMED;
	}
}

bool cli_snapshot_wanted(enum cli_snapshot_policy policy, const char *status)
{
	if (policy == CLI_SNAPSHOT_ALL)
		return true;
	return policy == CLI_SNAPSHOT_CONFIRMED && status &&
	       (strcmp(status, "confirmed") == 0 || strcmp(status, "escalated") == 0);
}

bool cli_snapshot_available(void)
{
	char browser[PATH_MAX];
	return snap_browser_find(browser, sizeof(browser)) == 0;
}

/* cli_snapshot_hit and cli_snapshot_take: one hit, with or without --force. */
static int snap_one(struct store *store, uint64_t id, enum cli_snapshot_policy policy, bool force,
		    int timeout_s, bool *ret_rendered, char *why, size_t whylen)
{
	char browser[PATH_MAX];
	struct snap_job j = {.store = store,
			     .browser = browser,
			     .policy = policy,
			     .force = force,
			     .timeout_s = timeout_s > 0 ? timeout_s : SNAP_TIMEOUT_S};
	int rc = policy == CLI_SNAPSHOT_OFF ? 0 : snap_browser_find(browser, sizeof(browser));
	if (rc)
		snprintf(j.why, sizeof(j.why), "%s",
			 _("no chromium to render with (docs/snapshots.md)"));
	else if (policy != CLI_SNAPSHOT_OFF)
		rc = snap_take(&j, id);
	if (rc && why)
		snprintf(why, whylen, "%s", j.why[0] ? j.why : err_str(rc));
	if (ret_rendered)
		*ret_rendered = j.rendered;
	snap_job_done(&j);
	return rc;
}

int cli_snapshot_hit(struct store *store, uint64_t id, enum cli_snapshot_policy policy,
		     int timeout_s, bool *ret_rendered, char *why, size_t whylen)
{
	return snap_one(store, id, policy, false, timeout_s, ret_rendered, why, whylen);
}

int cli_snapshot_take(struct store *store, uint64_t id, int timeout_s, char *why, size_t whylen)
{
	return snap_one(store, id, CLI_SNAPSHOT_ALL, true, timeout_s, NULL, why, whylen);
}

/* ---- After a crawl: the new hits, under evidence.screenshots: all ---- */

struct snap_new {
	uint64_t ids[CLI_SNAPSHOT_AUTO_MAX];
	size_t n, total;
};

static int snap_new_fn(const struct store_hit *h, void *ud)
{
	struct snap_new *x = ud;
	if (x->n < CLI_SNAPSHOT_AUTO_MAX)
		x->ids[x->n++] = h->id;
	x->total++;
	return 0;
}

int cli_snapshot_new_hits(struct store *store, enum cli_snapshot_policy policy, int64_t since,
			  struct cli_snapshot_batch *ret)
{
	struct snap_new x = {0};
	struct store_hit_query q;
	*ret = (struct cli_snapshot_batch){0};
	if (policy != CLI_SNAPSHOT_ALL)
		return 0;
	if (!cli_snapshot_available())
		return -ENOENT;
	store_hit_query_init(&q);
	q.status = "new";
	q.since = since;
	int rc = store_hits_query(store, &q, snap_new_fn, &x);
	if (rc)
		return rc;
	size_t failed_in_row = 0;
	for (size_t i = 0; i < x.n; i++) {
		char why[sizeof(ret->why)];
		bool rendered = false;
		/* a broken browser, or the operator wants to stop: the rest is left */
		if (failed_in_row == CLI_SNAPSHOT_AUTO_FAILS || cli_crawl_signal())
			break;
		rc = cli_snapshot_hit(store, x.ids[i], policy, 0, &rendered, why, sizeof(why));
		ret->tried++;
		ret->rendered += rendered;
		failed_in_row = rc ? failed_in_row + 1 : 0;
		if (rc && !ret->failed++) {
			ret->first_failed = x.ids[i];
			snprintf(ret->why, sizeof(ret->why), "%s", why);
		}
	}
	ret->left = x.total - ret->tried;
	return 0;
}

void cli_snapshot_after_crawl(const struct cli *cli, struct store *store,
			      const struct venue_registry *reg, int64_t since)
{
	struct cli_snapshot_batch b;
	enum cli_snapshot_policy policy = cli_snapshot_policy_of(venue_registry_settings(reg));
	int rc = cli_snapshot_new_hits(store, policy, since, &b);
	if (rc == -ENOENT)
		cli_error(_("warning: evidence.screenshots is all, but there is no chromium to "
			    "render with: no snapshots taken"));
	else if (rc)
		cli_error(_("warning: the new hits could not be read for snapshots: %s"),
			  err_text(rc));
	if (rc)
		return;
	if (b.rendered && !cli->quiet)
		fprintf(stderr,
			dngettext(PATROL_TEXTDOMAIN, "patrol: %zu snapshot of a new hit taken\n",
				  "patrol: %zu snapshots of new hits taken\n", b.rendered),
			b.rendered);
	if (b.failed)
		cli_error(dngettext(PATROL_TEXTDOMAIN,
				    "warning: %zu snapshot failed (hit #%llu: %s)",
				    "warning: %zu snapshots failed (the first, hit #%llu: %s)",
				    b.failed),
			  b.failed, (unsigned long long)b.first_failed, b.why);
	if (b.left)
		cli_error(dngettext(PATROL_TEXTDOMAIN,
				    "%zu new hit was not pictured (at most %d a crawl): patrol "
				    "snapshot ID takes it",
				    "%zu new hits were not pictured (at most %d a crawl): patrol "
				    "snapshot ID... takes them",
				    b.left),
			  b.left, CLI_SNAPSHOT_AUTO_MAX);
}

/* ---- patrol snapshot ---- */

static void snap_print(const struct cli *cli, uint64_t id, const struct snap_job *j)
{
	char ev[DIGEST_HEX_LEN + 1], png[DIGEST_HEX_LEN + 1];
	digest_hex(j->evidence, ev);
	digest_hex(j->snap.png, png);
	if (cli->json)
		printf("{\"hit\":%" PRIu64
		       ",\"evidence\":\"%s\",\"snapshot\":\"%s\",\"width\":%" PRIu32
		       ",\"height\":%" PRIu32 ",\"bytes\":%" PRIu64 ",\"rendered\":%s}\n",
		       id, ev, png, j->snap.width, j->snap.height, j->snap.bytes,
		       j->rendered ? "true" : "false");
	else if (!cli->quiet)
		printf(j->rendered ? _("hit #%llu: snapshot %s  %ux%u  rendered\n")
				   : _("hit #%llu: snapshot %s  %ux%u  stored before\n"),
		       (unsigned long long)id, png, (unsigned)j->snap.width,
		       (unsigned)j->snap.height);
}

struct snap_args {
	bool force;
	int timeout_s;
	const char *output;
};

/* Options into a; CLI_OK, or an exit status to return (help printed, or a usage error). */
static int snap_parse(int argc, char **argv, struct snap_args *a, bool *ret_help)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"timeout", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	int c;
	optind = 0; /* a fresh scan that permutes: options may follow the ids */
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		long long t;
		switch (c) {
		case 'h': *ret_help = true; return CLI_OK;
		case 'f': a->force = true; break;
		case 'o': a->output = optarg; break;
		case 't':
			if ((t = cli_parse_count("snapshot", "--timeout", optarg)) < 0)
				return CLI_USAGE;
			if (t < 1 || t > SNAP_TIMEOUT_MAX)
				return cli_usage_error("snapshot",
						       _("--timeout takes 1 to %d seconds"),
						       SNAP_TIMEOUT_MAX);
			a->timeout_s = (int)t;
			break;
		default: return cli_usage_error("snapshot", _("unknown option"));
		}
	}
	if (optind >= argc)
		return cli_usage_error("snapshot", _("expected: patrol snapshot ID..."));
	if (a->output && argc - optind != 1)
		return cli_usage_error("snapshot", _("--output takes one ID only"));
	return CLI_OK;
}

/* Declared in main.c too, which dispatches to it. */
int cmd_snapshot(struct cli *cli, int argc, char **argv);

int cmd_snapshot(struct cli *cli, int argc, char **argv)
{
	struct snap_args a = {.timeout_s = SNAP_TIMEOUT_S};
	bool help = false;
	char browser[PATH_MAX];
	uint64_t id;
	int rc = snap_parse(argc, argv, &a, &help);
	if (rc != CLI_OK || help) {
		if (help)
			fputs(_(snapshot_help), stdout);
		return rc;
	}
	for (int i = optind; i < argc; i++)
		if (hitfmt_parse_id("snapshot", argv[i], &id))
			return CLI_USAGE;
	if (snap_browser_find(browser, sizeof(browser)) != 0) {
		const char *env = getenv("PATROL_CHROMIUM");
		if (env && env[0])
			cli_error(_("PATROL_CHROMIUM=%s is not an executable browser"), env);
		else
			cli_error(
				_("no chromium in PATH: install Debian's chromium package to take "
				  "snapshots (docs/snapshots.md); patrol works without it"));
		return CLI_USAGE;
	}
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	int status = CLI_OK;
	for (int i = optind; i < argc; i++) {
		struct snap_job j = {.store = store,
				     .browser = browser,
				     .timeout_s = a.timeout_s,
				     .force = a.force,
				     .verbose = cli->verbose,
				     .output = a.output,
				     .policy = CLI_SNAPSHOT_ALL};
		hitfmt_parse_id("snapshot", argv[i], &id);
		if ((rc = snap_take(&j, id)) == 0) {
			snap_print(cli, id, &j);
		} else {
			cli_error(_("snapshot of hit #%llu failed: %s"), (unsigned long long)id,
				  j.why[0] ? j.why : err_text(rc));
			status = CLI_FAIL;
		}
		snap_job_done(&j);
	}
	store_close(store);
	return status;
}
