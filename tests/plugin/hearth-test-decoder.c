/* A GStreamer decoder that misbehaves on purpose, for Hearth's tests of its player process.
 *
 * Files that hold "HEARTH-TEST-" at byte 64 (after a FLAC signature, so that the library
 * takes them for songs) are typefound as application/x-hearth-test, ahead of every other
 * typefinder, and this decoder (ranked above every other) takes them. On its first buffer it does what the rest
 * of the magic says: CRASH writes through a null pointer, HOG allocates without bound,
 * STALL never returns; but only where HEARTH_TEST_MISBEHAVE is set (the tests set it for
 * the player process alone, so the library can read the same files). Anything else decodes
 * to a second of silence. Built by the tests (tests/src/test_plugin.rs); never installed. */

#include <gst/gst.h>
#include <string.h>

#define PACKAGE "hearth-test"
#define VERSION "1.0"
#define MAGIC "HEARTH-TEST-"
#define MAGIC_AT 64

typedef struct {
  GstElement parent;
  GstPad *sinkpad, *srcpad;
  gboolean done;
} HearthTestDec;

typedef struct {
  GstElementClass parent_class;
} HearthTestDecClass;

GType hearth_test_dec_get_type(void);
G_DEFINE_TYPE(HearthTestDec, hearth_test_dec, GST_TYPE_ELEMENT)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("application/x-hearth-test"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format=S16LE, rate=8000, channels=1, layout=interleaved"));

static void misbehave(const guint8 *data, gsize size) {
  gsize magic = strlen(MAGIC);
  if (g_getenv("HEARTH_TEST_MISBEHAVE") == NULL || size < MAGIC_AT + magic + 5 ||
      memcmp(data + MAGIC_AT, MAGIC, magic) != 0)
    return;
  data += MAGIC_AT + magic;
  if (memcmp(data, "CRASH", 5) == 0) {
    volatile int *nowhere = NULL;
    *nowhere = 1;
  } else if (memcmp(data, "HOG", 3) == 0) {
    for (;;) {
      gsize chunk = 64 << 20;
      guint8 *block = g_malloc(chunk);
      memset(block, 1, chunk);
    }
  } else if (memcmp(data, "STALL", 5) == 0) {
    for (;;)
      g_usleep(G_USEC_PER_SEC);
  }
}

static GstFlowReturn chain(GstPad *pad, GstObject *parent, GstBuffer *buffer) {
  HearthTestDec *self = (HearthTestDec *)parent;
  GstMapInfo map;
  (void)pad;
  if (self->done) {
    gst_buffer_unref(buffer);
    return GST_FLOW_OK;
  }
  self->done = TRUE;
  if (gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    misbehave(map.data, map.size);
    gst_buffer_unmap(buffer, &map);
  }
  gst_buffer_unref(buffer);
  {
    GstCaps *caps = gst_pad_get_pad_template_caps(self->srcpad);
    GstSegment segment;
    GstBuffer *silence = gst_buffer_new_allocate(NULL, 16000, NULL);
    gst_buffer_memset(silence, 0, 0, 16000);
    GST_BUFFER_PTS(silence) = 0;
    GST_BUFFER_DURATION(silence) = GST_SECOND;
    gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(self->srcpad, gst_event_new_segment(&segment));
    return gst_pad_push(self->srcpad, silence);
  }
}

static gboolean sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  HearthTestDec *self = (HearthTestDec *)parent;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS:
    case GST_EVENT_SEGMENT:
      gst_event_unref(event);
      return TRUE;
    default:
      (void)self;
      return gst_pad_event_default(pad, parent, event);
  }
}

/* A second long, so the library takes the files for songs. */
static gboolean src_query(GstPad *pad, GstObject *parent, GstQuery *query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_DURATION) {
    GstFormat format;
    gst_query_parse_duration(query, &format, NULL);
    if (format == GST_FORMAT_TIME) {
      gst_query_set_duration(query, GST_FORMAT_TIME, GST_SECOND);
      return TRUE;
    }
  }
  return gst_pad_query_default(pad, parent, query);
}

static void hearth_test_dec_class_init(HearthTestDecClass *klass) {
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Hearth test decoder",
                                        "Codec/Decoder/Audio",
                                        "Misbehaves on purpose for Hearth's tests",
                                        "Hearth");
}

static void hearth_test_dec_init(HearthTestDec *self) {
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, chain);
  gst_pad_set_event_function(self->sinkpad, sink_event);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_pad_set_query_function(self->srcpad, src_query);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void typefind(GstTypeFind *find, gpointer data) {
  const guint8 *head = gst_type_find_peek(find, MAGIC_AT, strlen(MAGIC));
  (void)data;
  if (head != NULL && memcmp(head, MAGIC, strlen(MAGIC)) == 0) {
    GstCaps *caps = gst_caps_new_empty_simple("application/x-hearth-test");
    gst_type_find_suggest(find, GST_TYPE_FIND_MAXIMUM, caps);
    gst_caps_unref(caps);
  }
}

static gboolean plugin_init(GstPlugin *plugin) {
  GstCaps *caps = gst_caps_new_empty_simple("application/x-hearth-test");
  gboolean typefinder = gst_type_find_register(plugin, "hearth-test-typefind",
                                               GST_RANK_PRIMARY + 100, typefind, "htest",
                                               caps, NULL, NULL);
  gst_caps_unref(caps);
  return typefinder && gst_element_register(plugin, "hearthtestdec", GST_RANK_PRIMARY + 100,
                                            hearth_test_dec_get_type());
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, hearthtest,
                  "Decoders that misbehave on purpose, for Hearth's tests", plugin_init,
                  VERSION, "LGPL", PACKAGE, "https://hearth.invalid/")
