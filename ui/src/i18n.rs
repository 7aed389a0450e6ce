//! Translations with Fluent. The `.ftl` files are compiled in, so changing language never
//! touches the disk and never fails at run time.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The languages Hearth speaks: code and the language's own name for itself.
pub const LANGUAGES: &[(&str, &str)] = &[("en-US", "English"), ("de", "Deutsch"), ("pl", "Polski")];

const SOURCES: &[(&str, &str)] = &[
    ("en-US", include_str!("../../assets/i18n/en-US/hearth.ftl")),
    ("de", include_str!("../../assets/i18n/de/hearth.ftl")),
    ("pl", include_str!("../../assets/i18n/pl/hearth.ftl")),
];

/// The language for a POSIX locale such as `de_DE.UTF-8`; English when none matches.
pub fn language_for_locale(locale: &str) -> &'static str {
    let language = locale
        .split(['_', '.', '@', '-'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    LANGUAGES
        .iter()
        .map(|(code, _)| *code)
        .find(|code| code.split('-').next() == Some(language.as_str()))
        .unwrap_or("en-US")
}

/// One language's messages, with English as the fallback for anything missing.
pub struct Translator {
    code: &'static str,
    bundle: FluentBundle<FluentResource>,
    fallback: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Translator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Translator")
            .field("code", &self.code)
            .finish()
    }
}

fn bundle_for(code: &'static str) -> FluentBundle<FluentResource> {
    let source = SOURCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, s)| *s)
        .unwrap_or(SOURCES[0].1);
    let language: LanguageIdentifier = code.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new(vec![language]);
    // Isolation marks would show as boxes in some fonts and break exact-text tests.
    bundle.set_use_isolating(false);
    // The files are part of the build and checked by tests; a broken one still loads what parses.
    let resource =
        FluentResource::try_new(source.to_string()).unwrap_or_else(|(partial, _)| partial);
    // Duplicate ids are reported by tests; keep the first definition here.
    let _ = bundle.add_resource(resource);
    bundle
}

impl Translator {
    /// The translator for a code from [`LANGUAGES`]; unknown codes get English.
    pub fn new(code: &str) -> Translator {
        let code = LANGUAGES
            .iter()
            .map(|(c, _)| *c)
            .find(|c| *c == code)
            .unwrap_or("en-US");
        Translator {
            code,
            bundle: bundle_for(code),
            fallback: bundle_for("en-US"),
        }
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message `id` with no arguments.
    pub fn tr(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with arguments; numbers select plural forms by the language's rules.
    pub fn tr_args(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            let value = match value {
                Arg::Text(text) => FluentValue::from(*text),
                Arg::Number(number) => FluentValue::from(*number),
            };
            fluent_args.set(*name, value);
        }
        self.format(id, Some(&fluent_args))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        for bundle in [&self.bundle, &self.fallback] {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle
                    .format_pattern(pattern, args, &mut errors)
                    .into_owned();
            }
        }
        id.to_string()
    }

    /// Ids whose message is missing or fails to format in this language; empty when complete.
    pub fn missing_messages(&self) -> Vec<String> {
        let english = FluentResource::try_new(SOURCES[0].1.to_string())
            .unwrap_or_else(|(partial, _)| partial);
        english
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(message) => Some(message.id.name.to_string()),
                _ => None,
            })
            .filter(|id| {
                self.bundle
                    .get_message(id)
                    .and_then(|m| m.value())
                    .is_none()
            })
            .collect()
    }
}

/// An argument for a message.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Text(&'a str),
    Number(i64),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_pick_a_language() {
        for (locale, expected) in [
            ("de_DE.UTF-8", "de"),
            ("pl_PL.UTF-8", "pl"),
            ("en_GB.UTF-8", "en-US"),
            ("C", "en-US"),
            ("", "en-US"),
            ("fr_FR", "en-US"),
        ] {
            assert_eq!(language_for_locale(locale), expected, "locale {locale:?}");
        }
    }

    #[test]
    fn every_language_has_every_message() {
        for (code, _) in LANGUAGES {
            let translator = Translator::new(code);
            assert_eq!(
                translator.missing_messages(),
                Vec::<String>::new(),
                "language {code}"
            );
            let resource = FluentResource::try_new(
                SOURCES
                    .iter()
                    .find(|(c, _)| c == code)
                    .unwrap()
                    .1
                    .to_string(),
            );
            assert!(
                resource.is_ok(),
                "{code} has syntax errors: {:?}",
                resource.err().map(|e| e.1)
            );
        }
    }

    fn running(code: &str, count: i64) -> String {
        Translator::new(code).tr_args("running-summary", &[("count", Arg::Number(count))])
    }

    #[test]
    fn plural_forms_follow_each_language() {
        assert_eq!(running("en-US", 1), "1 computer running");
        assert_eq!(running("en-US", 2), "2 computers running");
        assert_eq!(running("en-US", 5), "5 computers running");
        assert_eq!(running("de", 1), "1 Computer läuft");
        assert_eq!(running("de", 5), "5 Computer laufen");
        // Polish has a separate form for 2-4 and for 5 and up.
        assert_eq!(running("pl", 1), "1 komputer działa");
        assert_eq!(running("pl", 2), "2 komputery działają");
        assert_eq!(running("pl", 5), "5 komputerów działa");
        assert_eq!(running("pl", 22), "22 komputery działają");
    }
}
