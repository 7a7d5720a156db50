/* SPDX-License-Identifier: MIT */
/* Tests of crawler/alert.h: a webhook target against a receiver on 127.0.0.1 (libmicrohttpd,
 * here) that fails its first request, so the retry must deliver; a command target that writes
 * its stdin to a file; a digest; severity, venue and category filters; each hit alerted once
 * across two dispatches; a failing command leaves its hits for the next dispatch; dry runs mark
 * nothing. Each test in a fresh temporary store.
 */
#include "common/err.h"
#include "crawler/alert.h"
#include "crawler/crawl.h"
#include "crawler/venue.h"
#include "index/store.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store_util.h"

#define RECV_MAX 16

/* The receiver: answers 500 to its first fail_first requests, then 200; keeps each body. */
struct receiver {
	struct MHD_Daemon *d;
	unsigned port;
	pthread_mutex_t lock;
	unsigned requests, fail_first;
	char *bodies[RECV_MAX];
	size_t nbodies;
};

struct conn {
	char *data;
	size_t len;
};

static enum MHD_Result recv_answer(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_len, void **con_cls)
{
	(void)url, (void)version;
	struct receiver *r = cls;
	struct conn *k = *con_cls;
	if (!k) {
		*con_cls = calloc(1, sizeof(struct conn));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*upload_len) {
		char *d = realloc(k->data, k->len + *upload_len + 1);
		if (!d)
			return MHD_NO;
		memcpy(d + k->len, upload, *upload_len);
		k->data = d;
		k->len += *upload_len;
		d[k->len] = '\0';
		*upload_len = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&r->lock);
	unsigned nth = r->requests++;
	bool fail = nth < r->fail_first || strcmp(method, "POST") != 0;
	if (!fail && r->nbodies < RECV_MAX) {
		r->bodies[r->nbodies++] = k->data ? k->data : strdup("");
		k->data = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *)"ok",
								   MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, fail ? 500 : 200, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void recv_done(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	struct conn *k = *con_cls;
	if (k)
		free(k->data);
	free(k);
	*con_cls = NULL;
}

static void recv_start(struct receiver *r, unsigned fail_first)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->fail_first = fail_first;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				recv_answer, r, MHD_OPTION_SOCK_ADDR, &sa,
				MHD_OPTION_NOTIFY_COMPLETED, recv_done, r, MHD_OPTION_END);
	assert_non_null(r->d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	r->port = info->port;
}

static void recv_stop(struct receiver *r)
{
	MHD_stop_daemon(r->d);
	for (size_t i = 0; i < r->nbodies; i++)
		free(r->bodies[i]);
	pthread_mutex_destroy(&r->lock);
}

/* Hits: 1 critical fraud/prize on v1, 2 high fraud/crypto on v1, 3 low fraud/prize on v1,
 * 4 critical hoax/x on v2. */
static void put_hits(struct store *s)
{
	static const char *const sev[] = {"critical", "high", "low", "critical"};
	static const char *const cat[] = {"fraud/prize", "fraud/crypto", "fraud/prize", "hoax/x"};
	struct store_txn *t;
	assert_int_equal(store_write_begin(s, &t), 0);
	for (int i = 0; i < 4; i++) {
		char url[64], match[32];
		snprintf(url, sizeof(url), "https://f.example/t/%d", i + 1);
		snprintf(match, sizeof(match), "match %d", i + 1);
		struct store_hit h = {.rule = "r", .pack = "p", .category = cat[i],
				      .severity = sev[i], .venue = i == 3 ? "v2" : "v1",
				      .url = url, .field = "body", .post = -1, .match = match,
				      .snippet = "a \"quoted\" snippet"};
		assert_int_equal(store_hit_put(t, &h, 1000 + i, NULL, NULL), 0);
	}
	assert_int_equal(store_write_commit(t), 0);
}

static int setup(void **state)
{
	if (store_fixture_setup_open(state, "alert"))
		return -1;
	put_hits(((struct store_fixture *)*state)->s);
	return 0;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void dispatch(struct store_fixture *f, const struct alert_target *t, size_t n, bool dry,
		     struct alert_report *r)
{
	struct alert_opts o = {.targets = t, .ntargets = n, .dry_run = dry, .retry_ms = 10,
			       .timeout_ms = 5000};
	assert_int_equal(alert_dispatch(f->s, &o, r), 0);
}

static void test_webhook_retry_once(void **state)
{
	struct store_fixture *f = *state;
	struct receiver r;
	recv_start(&r, 1);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", r.port);
	struct alert_target t = {.id = "hook", .kind = ALERT_WEBHOOK, .url = url,
				 .min_severity = "high"};
	struct alert_report rep;
	dispatch(f, &t, 1, false, &rep);
	/* critical and high hits: 1, 2 and 4; the first request failed and was retried */
	assert_int_equal(rep.sent, 3);
	assert_int_equal(rep.failed, 0);
	assert_int_equal(rep.targets[0].messages, 3);
	assert_int_equal(r.requests, 4);
	assert_int_equal(r.nbodies, 3);
	assert_non_null(strstr(r.bodies[0], "\"target\":\"hook\""));
	assert_non_null(strstr(r.bodies[0], "\"url\":\"https://f.example/t/1\""));
	assert_non_null(strstr(r.bodies[0], "a \\\"quoted\\\" snippet"));
	alert_report_done(&rep);
	int64_t at = 0;
	assert_int_equal(store_alert_get(f->s, "hook", 1, &at), 0);
	assert_int_not_equal(at, 0);
	assert_int_equal(store_alert_get(f->s, "hook", 3, NULL), ERR_NOT_FOUND);

	dispatch(f, &t, 1, false, &rep); /* each hit once */
	assert_int_equal(rep.sent, 0);
	assert_int_equal(r.requests, 4);
	alert_report_done(&rep);
	recv_stop(&r);
}

static void test_webhook_down(void **state)
{
	struct store_fixture *f = *state;
	struct receiver r;
	recv_start(&r, 100);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", r.port);
	struct alert_target t = {.id = "hook", .kind = ALERT_WEBHOOK, .url = url,
				 .min_severity = "critical", .digest = true};
	struct alert_report rep;
	dispatch(f, &t, 1, false, &rep);
	assert_int_equal(rep.sent, 0);
	assert_int_equal(rep.failed, 2);
	assert_int_equal(r.requests, ALERT_TRIES); /* bounded */
	assert_non_null(strstr(rep.targets[0].error, "HTTP 500"));
	assert_int_equal(store_alert_get(f->s, "hook", 1, NULL), ERR_NOT_FOUND);
	alert_report_done(&rep);
	r.fail_first = 0; /* back up: the digest goes as one message */
	dispatch(f, &t, 1, false, &rep);
	assert_int_equal(rep.sent, 2);
	assert_int_equal(rep.targets[0].messages, 1);
	assert_int_equal(r.nbodies, 1);
	assert_int_equal(count(r.bodies[0], "\"rule\":"), 2);
	alert_report_done(&rep);
	recv_stop(&r);
}

static void test_command_filters(void **state)
{
	struct store_fixture *f = *state;
	char out[400], cmd[600];
	snprintf(out, sizeof(out), "%s/out.json", f->root);
	snprintf(cmd, sizeof(cmd), "cat >> '%s'", out);
	const char *argv[] = {"/bin/sh", "-c", cmd};
	const char *venues[] = {"v1"}, *cats[] = {"fraud/"};
	struct alert_target t = {.id = "cmd", .kind = ALERT_COMMAND, .argv = argv, .nargv = 3,
				 .min_severity = "low", .venues = venues, .nvenues = 1,
				 .categories = cats, .ncategories = 1};
	struct alert_report rep;
	dispatch(f, &t, 1, true, &rep); /* dry: nothing runs, nothing marked */
	assert_int_equal(rep.sent, 3);
	alert_report_done(&rep);
	assert_int_equal(access(out, F_OK), -1);
	dispatch(f, &t, 1, false, &rep);
	assert_int_equal(rep.sent, 3); /* hits 1-3: v1, fraud/, low and up; not 4 (v2, hoax) */
	alert_report_done(&rep);
	FILE *fp = fopen(out, "r");
	assert_non_null(fp);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_int_equal(count(buf, "\"target\":\"cmd\""), 3);
	assert_null(strstr(buf, "hoax/x"));
	dispatch(f, &t, 1, false, &rep);
	assert_int_equal(rep.sent, 0);
	alert_report_done(&rep);
}

static void test_command_fails(void **state)
{
	struct store_fixture *f = *state;
	const char *argv[] = {"/bin/sh", "-c", "cat >/dev/null; exit 3"};
	struct alert_target t = {.id = "bad", .kind = ALERT_COMMAND, .argv = argv, .nargv = 3,
				 .min_severity = "critical"};
	struct alert_report rep;
	dispatch(f, &t, 1, false, &rep);
	assert_int_equal(rep.sent, 0);
	assert_int_equal(rep.failed, 2);
	assert_non_null(strstr(rep.targets[0].error, "exit status 3"));
	assert_int_equal(store_alert_get(f->s, "bad", 1, NULL), ERR_NOT_FOUND);
	alert_report_done(&rep);
}

static void test_mail(void **state)
{
	struct store_fixture *f = *state;
	char sm[400], out[400];
	snprintf(out, sizeof(out), "%s/mail.txt", f->root);
	snprintf(sm, sizeof(sm), "%s/sendmail", f->root);
	FILE *fp = fopen(sm, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n[ \"$1 $2\" = '-t -oi' ] || exit 9\ncat > '%s'\n", out);
	fclose(fp);
	assert_int_equal(chmod(sm, 0700), 0);
	struct alert_target t = {.id = "mail", .kind = ALERT_MAIL, .mail_to = "desk@example.org",
				 .min_severity = "critical", .digest = true};
	struct alert_opts o = {.targets = &t, .ntargets = 1, .retry_ms = 10, .sendmail = sm};
	struct alert_report rep;
	assert_int_equal(alert_dispatch(f->s, &o, &rep), 0);
	assert_int_equal(rep.sent, 2);
	alert_report_done(&rep);
	fp = fopen(out, "r");
	assert_non_null(fp);
	char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "To: desk@example.org\n"));
	assert_non_null(strstr(buf, "Subject: patrol: 2 new hits"));
	assert_non_null(strstr(buf, "https://f.example/t/4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_webhook_retry_once, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_webhook_down, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_command_filters, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_command_fails, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_mail, setup, store_fixture_teardown),
	};
	crawl_global_init();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	crawl_global_cleanup();
	return rc;
}
