/* prng.c - the one seeded generator: splitmix64 seeding xoshiro256**. */
#include "base/base_int.h"

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

void
agr_prng_seed(agr_prng *p, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		p->s[i] = splitmix64(&seed);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
agr_prng_next(agr_prng *p)
{
	uint64_t *s = p->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
agr_prng_double(agr_prng *p)
{
	/* The top 53 bits make every double in [0, 1) with step 2^-53. */
	return (double)(agr_prng_next(p) >> 11) * 0x1.0p-53;
}

uint64_t
agr_prng_below(agr_prng *p, uint64_t bound)
{
	/* Rejection keeps the draw unbiased for any bound. */
	uint64_t limit = -bound % bound;
	uint64_t x;

	do
		x = agr_prng_next(p);
	while (x < limit);
	return x % bound;
}
