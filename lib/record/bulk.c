/*
 * bulk.c - the record scan's reading of many bytes at once: whether a
 * line is UTF-8, and how far a string's plain bytes run.
 *
 * Most of a trace's bytes are inside strings, many of them past ASCII.
 * Told once per line that it is all UTF-8, the scan can pass any byte
 * from 0x80 up as it passes a letter, and stop only at a quote, a
 * backslash or a control character.  Each job has a portable version,
 * one with SSE2 (every x86-64 has it) and one with AVX2, chosen when
 * the program runs, so that one binary runs on any x86-64.
 */
#include <stdint.h>
#include <string.h>

#include "record/record_int.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86 1
#include <immintrin.h>
#endif

static int forced = -1; /* none */

bool
agrp_bulk_force(int isa)
{
	if (isa > AGRP_ISA_SCALAR) {
#ifdef HAVE_X86
		if (isa == AGRP_ISA_AVX2 && !__builtin_cpu_supports("avx2"))
			return false;
#else
		return false;
#endif
	}
	forced = isa;
	return true;
}

int
agrp_bulk_isa(void)
{
	if (forced >= 0)
		return forced;
#ifdef HAVE_X86
	return __builtin_cpu_supports("avx2") ? AGRP_ISA_AVX2 : AGRP_ISA_SSE2;
#else
	return AGRP_ISA_SCALAR;
#endif
}

/* ---- UTF-8 ----------------------------------------------------------- */

static bool
utf8_scalar(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = agrp_utf8_len(p + i, p + n, NULL);
		if (k == 0)
			return false;
		i += k;
	}
	return true;
}

#ifdef HAVE_X86
/* SSE2: sixteen ASCII bytes at a time; a character past ASCII is read
 * one by one, and sixteen more skipped when they are ASCII again. */
static bool
utf8_sse2(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (n - i >= 16 && _mm_movemask_epi8(_mm_loadu_si128(
		                       (const __m128i *)(const void *)(p + i))) == 0) {
			i += 16;
			continue;
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		{
			size_t k = agrp_utf8_len(p + i, p + n, NULL);

			if (k == 0)
				return false;
			i += k;
		}
	}
	return true;
}

/*
 * AVX2: thirty-two bytes at a time by the lookup method of Keiser and
 * Lemire ("Validating UTF-8 in less than one instruction per byte",
 * 2021), as simdjson and simdutf do it.  Each byte and the one before it
 * are looked up by their nibbles in three tables whose bits name a
 * mistake (a lead without its continuation, a continuation without its
 * lead, an overlong form, a surrogate, past U+10FFFF); a byte flagged by
 * all three is a mistake, but for the third and fourth bytes of a long
 * character, told apart by the lead two and three bytes back.
 */
#define TOO_SHORT 0x01
#define TOO_LONG 0x02
#define OVERLONG_3 0x04
#define TOO_LARGE 0x08
#define SURROGATE 0x10
#define OVERLONG_2 0x20
#define TOO_LARGE_1000 0x40
#define OVERLONG_4 0x40
#define TWO_CONTS (-0x80) /* 0x80, as the signed char the tables hold */
#define CARRY (TOO_SHORT | TOO_LONG | TWO_CONTS)
#define TABLE(...) _mm256_setr_epi8(__VA_ARGS__, __VA_ARGS__)

__attribute__((target("avx2"))) static inline __m256i
utf8_block_errors(__m256i in, __m256i prev)
{
	const __m256i lo_nibble = _mm256_set1_epi8(0x0f);
	const __m256i byte_1_high_table =
	    TABLE(TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG,
	          TWO_CONTS, TWO_CONTS, TWO_CONTS, TWO_CONTS, TOO_SHORT | OVERLONG_2, TOO_SHORT,
	          TOO_SHORT | OVERLONG_3 | SURROGATE,
	          TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4);
	const __m256i byte_1_low_table = TABLE(
	    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4, CARRY | OVERLONG_2, CARRY, CARRY,
	    CARRY | TOO_LARGE, CARRY | TOO_LARGE | TOO_LARGE_1000,
	    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
	    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
	    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000,
	    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
	    CARRY | TOO_LARGE | TOO_LARGE_1000, CARRY | TOO_LARGE | TOO_LARGE_1000);
	const __m256i byte_2_high_table = TABLE(
	    TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT, TOO_SHORT,
	    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
	    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
	    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
	    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE, TOO_SHORT, TOO_SHORT,
	    TOO_SHORT, TOO_SHORT);
	/* the bytes 1, 2 and 3 places back, across the two blocks */
	__m256i carried = _mm256_permute2x128_si256(prev, in, 0x21);
	__m256i prev1 = _mm256_alignr_epi8(in, carried, 15);
	__m256i prev2 = _mm256_alignr_epi8(in, carried, 14);
	__m256i prev3 = _mm256_alignr_epi8(in, carried, 13);
	__m256i b1h = _mm256_shuffle_epi8(byte_1_high_table,
	                                  _mm256_and_si256(_mm256_srli_epi16(prev1, 4), lo_nibble));
	__m256i b1l = _mm256_shuffle_epi8(byte_1_low_table, _mm256_and_si256(prev1, lo_nibble));
	__m256i b2h = _mm256_shuffle_epi8(byte_2_high_table,
	                                  _mm256_and_si256(_mm256_srli_epi16(in, 4), lo_nibble));
	__m256i special = _mm256_and_si256(_mm256_and_si256(b1h, b1l), b2h);
	/* from 0xe0 (0xf0) up, two (three) bytes back: 0x80 is set */
	__m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8((char)(0xe0 - 0x80)));
	__m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8((char)(0xf0 - 0x80)));
	__m256i must23 =
	    _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));

	return _mm256_xor_si256(must23, special);
}

/* Nonzero when the block ends inside a character. */
__attribute__((target("avx2"))) static inline __m256i
utf8_block_unfinished(__m256i in)
{
	const __m256i max = _mm256_setr_epi8(
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, (char)(0xf0 - 1), (char)(0xe0 - 1), (char)(0xc0 - 1));

	return _mm256_subs_epu8(in, max);
}

__attribute__((target("avx2"))) static bool
utf8_avx2(const unsigned char *p, size_t n)
{
	__m256i prev = _mm256_setzero_si256(), errors = prev, unfinished = prev, in;
	unsigned char last[32];
	size_t i = 0;

	for (; i < n; i += 32) {
		if (n - i >= 32) {
			in = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		} else { /* the rest, padded with ASCII */
			memset(last, 0, sizeof last);
			memcpy(last, p + i, n - i);
			in = _mm256_loadu_si256((const __m256i *)(const void *)last);
		}
		if (_mm256_movemask_epi8(in) == 0) {
			errors = _mm256_or_si256(errors, unfinished);
			unfinished = _mm256_setzero_si256();
		} else {
			errors = _mm256_or_si256(errors, utf8_block_errors(in, prev));
			unfinished = utf8_block_unfinished(in);
		}
		prev = in;
	}
	errors = _mm256_or_si256(errors, unfinished);
	return _mm256_testz_si256(errors, errors) != 0;
}
#endif

bool
agrp_bulk_utf8(const char *s, size_t n, int isa)
{
	const unsigned char *p = (const unsigned char *)s;

#ifdef HAVE_X86
	if (isa == AGRP_ISA_AVX2)
		return utf8_avx2(p, n);
	if (isa == AGRP_ISA_SSE2)
		return utf8_sse2(p, n);
#else
	(void)isa;
#endif
	return utf8_scalar(p, n);
}

/* ---- plain runs in strings ------------------------------------------- */

static size_t
run_scalar(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && (unsigned char)*q >= 0x20 && *q != '"' && *q != '\\')
		q++;
	return (size_t)(q - p);
}

#ifdef HAVE_X86
static size_t
run_sse2(const char *p, const char *end)
{
	const char *q = p;

	while (end - q >= 16) {
		int stops = agrp_stops16(q);

		if (stops != 0)
			return (size_t)(q - p) + (size_t)__builtin_ctz((unsigned)stops);
		q += 16;
	}
	return (size_t)(q - p) + run_scalar(q, end);
}

__attribute__((target("avx2"))) static size_t
run_avx2(const char *p, const char *end)
{
	const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\'),
	              control = _mm256_set1_epi8(0x1f);
	const char *q = p;

	while (end - q >= 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)q);
		unsigned stops = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
		    _mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, backslash)),
		    _mm256_cmpeq_epi8(_mm256_min_epu8(v, control), v)));

		if (stops != 0)
			return (size_t)(q - p) + (size_t)__builtin_ctz(stops);
		q += 32;
	}
	return (size_t)(q - p) + run_sse2(q, end);
}
#endif

size_t
agrp_bulk_run(const char *p, const char *end, int isa)
{
#ifdef HAVE_X86
	if (isa == AGRP_ISA_AVX2)
		return run_avx2(p, end);
	if (isa == AGRP_ISA_SSE2)
		return run_sse2(p, end);
#else
	(void)isa;
#endif
	return run_scalar(p, end);
}
