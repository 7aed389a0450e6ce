//! GStreamer's errors sorted into what the user is told: a missing codec, a damaged file,
//! an unreadable one or a failed output.

use gstreamer as gst;

use super::Problem;

/// Sorts an error message into what the user is told.
pub(super) fn classify(
    error: &gst::glib::Error,
    debug: Option<&str>,
    missing: &[String],
) -> (Problem, String) {
    let detail = match debug {
        Some(debug) if !debug.is_empty() => format!("{} ({debug})", error.message()),
        _ => error.message().to_string(),
    };
    if !missing.is_empty() {
        return (Problem::MissingCodec(missing.join(", ")), detail);
    }
    if let Some(stream) = error.kind::<gst::StreamError>() {
        return match stream {
            gst::StreamError::CodecNotFound => {
                (Problem::MissingCodec(error.message().to_string()), detail)
            }
            _ => (Problem::Broken, detail),
        };
    }
    if let Some(resource) = error.kind::<gst::ResourceError>() {
        return match resource {
            gst::ResourceError::NotFound
            | gst::ResourceError::OpenRead
            | gst::ResourceError::Read
            | gst::ResourceError::NotAuthorized => (Problem::Unreadable, detail),
            _ => (Problem::Output, detail),
        };
    }
    if error.kind::<gst::CoreError>() == Some(gst::CoreError::MissingPlugin) {
        return (Problem::MissingCodec(error.message().to_string()), detail);
    }
    (Problem::Broken, detail)
}
