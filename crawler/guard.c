/* SPDX-License-Identifier: MIT */
/* The address guard: a crawl connects only to public unicast addresses unless its venue allows
 * private ones. Checked on the address actually being connected (curl's open-socket callback),
 * so neither a DNS answer nor a redirect can steer a crawl into a private network.
 */
#include "crawler/crawler_int.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

struct net4 {
	uint32_t net;
	unsigned bits;
};

/* Not globally routable (RFC 6890 and friends): loopback, private, shared, link-local, test. */
static const struct net4 private4[] = {
	{0x7f000000, 8},  {0x0a000000, 8},  {0xac100000, 12}, {0xc0a80000, 16}, {0x64400000, 10},
	{0xa9fe0000, 16}, {0xc0000000, 24}, {0xc0000200, 24}, {0xc6120000, 15}, {0xc6336400, 24},
	{0xcb007100, 24}, {0xf0000000, 4},
};

static bool in_net4(uint32_t a, const struct net4 *n)
{
	uint32_t mask = n->bits ? ~0u << (32 - n->bits) : 0;
	return (a & mask) == n->net;
}

static bool addr4_allowed(uint32_t a, bool allow_private)
{
	if ((a >> 24) == 0 || (a >> 28) == 0xe || a == 0xffffffffu)
		return false; /* "this network", multicast, broadcast: never a web server */
	for (size_t i = 0; i < sizeof(private4) / sizeof(private4[0]); i++)
		if (in_net4(a, &private4[i]))
			return allow_private;
	return true;
}

static bool addr6_allowed(const uint8_t b[16], bool allow_private)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t zero[16] = {0};
	if (memcmp(b, mapped, 12) == 0) {
		uint32_t a = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
		return addr4_allowed(a, allow_private);
	}
	if (memcmp(b, zero, 16) == 0 || b[0] == 0xff)
		return false; /* unspecified, multicast */
	if (memcmp(b, loopback, 16) == 0)
		return allow_private;
	if ((b[0] & 0xe0) != 0x20)
		return allow_private; /* outside 2000::/3: ULA, link-local, NAT64, compat, reserved */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return allow_private; /* 2001:db8::/32, documentation */
	return true;
}

bool crawler__addr_allowed(const struct sockaddr *sa, bool allow_private)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return addr4_allowed(ntohl(in->sin_addr.s_addr), allow_private);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		return addr6_allowed(in6->sin6_addr.s6_addr, allow_private);
	}
	return false;
}
