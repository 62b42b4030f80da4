/* voice: voice notes in and out of a channel — whether speech to text and text to speech
 * are configured, and an answer sent as a voice note made by claw-chat --say. */
#ifndef CLAW_CHAN_VOICE_H
#define CLAW_CHAN_VOICE_H
#include "channel/chan.h"
#include "channel/queue.h"

/* stt (or tts) is set and not off. */
int voice_stt_on(struct chan *c);
int voice_tts_on(struct chan *c);
/* Should the answer to a message go back as a voice note too?  came_as_voice: the person
 * sent one (voice_reply=auto answers those). */
int voice_wanted(struct chan *c, int came_as_voice);
/* Make part o's text into an OGG/Opus voice note and send it through the connector. */
void voice_send(struct chan *c, const struct q_out *o, struct chan_sent *r);
#endif
