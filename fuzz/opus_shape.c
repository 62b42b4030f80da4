/* fuzz/opus_shape: the Ogg/Opus walker behind Discord voice messages.  Whatever the bytes,
 * it returns 0 or -1, a duration that is a number of seconds no Ogg granule exceeds, and
 * no more waveform bytes than the room given. */
#include <math.h>
#include <stdint.h>

#include "channel/opus.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char wave[256];
	size_t wn = sizeof wave;
	double secs;
	int rc = opus_shape(data, size, &secs, wave, &wn);

	if ((rc != 0 && rc != -1) || wn > sizeof wave || !isfinite(secs) || secs < 0
	    || secs > 18446744073709551615.0 / 48000 || (rc && (wn || secs)))
		__builtin_trap();
	return 0;
}
