//! `#[seedbed_fixtures::test]`: turns `async fn t(db: Db) { … }` into a `#[test]` that builds
//! a runtime, acquires the fixture its options describe, runs the body and drops the fixture,
//! also when the body panics. Use it through `seedbed-fixtures`, which re-exports it.
//!
//! The macro checks the options' shape itself; the names of domains and profiles are checked
//! by `seedbed-fixtures` at compile time (a `const` evaluation), so that the list of domains
//! lives in one place.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, ItemFn, Lit, LitStr, Token};

/// A test that receives a seeded fixture database.
///
/// ```ignore
/// #[seedbed_fixtures::test(domains(draw), profile = "tiny", seed = 42)]
/// async fn a_finished_draw_has_a_winner(db: seedbed_fixtures::Db) { … }
/// ```
///
/// Options (all but `domains` optional, as in the builder `seedbed_fixtures::Fixture`):
/// `domains(draw, …)`, `profile = "tiny"`, `seed = 42`, `scale = 1.0`,
/// `now = "2026-01-01T00:00:00Z"`, `url = "postgres://…"` (otherwise `SEEDBED_FIXTURE_URL`,
/// SQLite when unset), `keep = true`, `mode = "copy"` (default: a private copy, argument
/// type `Db`) or `mode = "rollback"` (a transaction on a shared copy, argument type `TxDb`).
#[proc_macro_attribute]
pub fn test(attr: proc_macro::TokenStream, item: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand(attr.into(), item.into()).unwrap_or_else(syn::Error::into_compile_error).into()
}

const OPTIONS: &str = "domains(..), profile, seed, scale, now, url, keep, mode";

#[derive(Default)]
struct Options {
    domains: Vec<Ident>,
    profile: Option<LitStr>,
    seed: Option<syn::LitInt>,
    scale: Option<Lit>,
    now: Option<LitStr>,
    url: Option<LitStr>,
    keep: Option<syn::LitBool>,
    rollback: bool,
}

/// One `name = value` or `domains(..)` option.
enum Opt {
    Domains(Span, Vec<Ident>),
    Value(Ident, Lit),
}

impl Parse for Opt {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        if name == "domains" {
            let content;
            syn::parenthesized!(content in input);
            let list = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
            return Ok(Opt::Domains(name.span(), list.into_iter().collect()));
        }
        if !input.peek(Token![=]) {
            return Err(unknown_or(&name, format!("`{name}` takes a value: `{name} = …`")));
        }
        input.parse::<Token![=]>()?;
        let value: Lit = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("`{name}` takes a literal, e.g. {}", example(&name.to_string())),
            )
        })?;
        Ok(Opt::Value(name, value))
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "profile" => "profile = \"tiny\"",
        "seed" => "seed = 42",
        "scale" => "scale = 1.0",
        "now" => "now = \"2026-01-01T00:00:00Z\"",
        "url" => "url = \"postgres://postgres@127.0.0.1:5432/postgres\"",
        "keep" => "keep = true",
        "mode" => "mode = \"rollback\"",
        _ => "domains(draw)",
    }
}

/// The error for an option name that is not one, or `otherwise` for a known one.
fn unknown_or(name: &Ident, otherwise: String) -> syn::Error {
    let known = ["domains", "profile", "seed", "scale", "now", "url", "keep", "mode"];
    if known.contains(&name.to_string().as_str()) {
        syn::Error::new(name.span(), otherwise)
    } else {
        syn::Error::new(name.span(), format!("unknown option `{name}`: the options are {OPTIONS}"))
    }
}

fn parse_options(attr: TokenStream) -> syn::Result<Options> {
    let list = syn::parse::Parser::parse2(Punctuated::<Opt, Token![,]>::parse_terminated, attr)?;
    let mut o = Options::default();
    let mut seen: Vec<String> = Vec::new();
    for opt in list {
        let (name, span) = match &opt {
            Opt::Domains(span, _) => ("domains".to_owned(), *span),
            Opt::Value(name, _) => (name.to_string(), name.span()),
        };
        if seen.contains(&name) {
            return Err(syn::Error::new(span, format!("`{name}` is given twice")));
        }
        seen.push(name.clone());
        let wrong = |lit: &Lit| {
            syn::Error::new(lit.span(), format!("`{name}` takes a value like {}", example(&name)))
        };
        match opt {
            Opt::Domains(span, list) => {
                if list.is_empty() {
                    return Err(syn::Error::new(
                        span,
                        "domains(..) names at least one domain, e.g. domains(draw)",
                    ));
                }
                o.domains = list;
            }
            Opt::Value(ident, lit) => match (name.as_str(), lit) {
                ("profile", Lit::Str(s)) => o.profile = Some(s),
                ("seed", Lit::Int(i)) => {
                    i.base10_parse::<u64>().map_err(|_| {
                        syn::Error::new(
                            i.span(),
                            "`seed` is a whole number from 0 to 2^64 - 1, e.g. seed = 42",
                        )
                    })?;
                    o.seed = Some(i);
                }
                ("scale", lit @ (Lit::Float(_) | Lit::Int(_))) => o.scale = Some(lit),
                ("now", Lit::Str(s)) => o.now = Some(s),
                ("url", Lit::Str(s)) => o.url = Some(s),
                ("keep", Lit::Bool(b)) => o.keep = Some(b),
                ("mode", Lit::Str(s)) => match s.value().as_str() {
                    "copy" => o.rollback = false,
                    "rollback" => o.rollback = true,
                    other => {
                        return Err(syn::Error::new(
                            s.span(),
                            format!(
                                "unknown mode \"{other}\": mode is \"copy\" (the default) or \"rollback\""
                            ),
                        ));
                    }
                },
                ("profile" | "seed" | "scale" | "now" | "url" | "keep" | "mode", lit) => {
                    return Err(wrong(&lit));
                }
                _ => return Err(unknown_or(&ident, String::new())),
            },
        }
    }
    if let (true, Some(keep)) = (o.rollback, &o.keep) {
        return Err(syn::Error::new(
            keep.span(),
            "`keep` applies to copy mode: a rollback-mode test's writes are rolled back, leaving nothing to keep",
        ));
    }
    if o.domains.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "#[seedbed_fixtures::test] needs the fixture's domains, e.g. #[seedbed_fixtures::test(domains(draw))]",
        ));
    }
    Ok(o)
}

/// The expansion, as a function of token streams so that its errors can be tested.
fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let o = parse_options(attr)?;
    let f: ItemFn = syn::parse2(item)?;
    let sig = &f.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(sig.fn_token.span, "#[seedbed_fixtures::test] goes on an `async fn`"));
    }
    if sig.inputs.len() != 1 || !sig.generics.params.is_empty() {
        let what = if o.rollback { "db: seedbed_fixtures::TxDb" } else { "db: seedbed_fixtures::Db" };
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            format!("a #[seedbed_fixtures::test] function takes the fixture as its one argument: `{what}`"),
        ));
    }
    // The handle's type follows the mode; say so rather than leave it to a type mismatch.
    if let Some(syn::FnArg::Typed(arg)) = sig.inputs.first()
        && let syn::Type::Path(ty) = &*arg.ty
        && let Some(last) = ty.path.segments.last()
    {
        let wrong = match (o.rollback, last.ident.to_string().as_str()) {
            (true, "Db") => Some("mode = \"rollback\" hands the test a `TxDb`: write `db: TxDb`"),
            (false, "TxDb") => {
                Some("a `TxDb` comes with mode = \"rollback\"; without it the test gets a copy: `db: Db`")
            }
            _ => None,
        };
        if let Some(message) = wrong {
            return Err(syn::Error::new_spanned(&arg.ty, message));
        }
    }
    let (attrs, vis, name, inputs, output, block) =
        (&f.attrs, &f.vis, &sig.ident, &sig.inputs, &sig.output, &f.block);

    // Each name is checked by a `const` evaluation in seedbed-fixtures, spanned at the user's
    // token so that the compiler's error points there.
    let domain = |d: &Ident| {
        let name = LitStr::new(&d.to_string(), d.span());
        quote_spanned! {d.span()=> {
            const DOMAIN: ::seedbed_fixtures::Domain = ::seedbed_fixtures::__private::domain(#name);
            DOMAIN
        }}
    };
    let first = domain(&o.domains[0]);
    let mut builder = quote! { ::seedbed_fixtures::Fixture::new(#first) };
    for d in &o.domains[1..] {
        let d = domain(d);
        builder = quote! { #builder.and(#d) };
    }
    if let Some(p) = &o.profile {
        builder = quote_spanned! {p.span()=> #builder.profile({
            const PROFILE: ::seedbed_fixtures::Profile = ::seedbed_fixtures::__private::profile(#p);
            PROFILE
        })};
    }
    if let Some(s) = &o.seed {
        builder = quote! { #builder.seed(#s) };
    }
    if let Some(s) = &o.scale {
        builder = quote! { #builder.scale(#s as f64) };
    }
    if let Some(n) = &o.now {
        builder = quote! { #builder.now(::seedbed_fixtures::__private::now(#n)) };
    }
    builder = match &o.url {
        Some(u) => quote! { #builder.url(#u) },
        None => quote! { #builder.backend_from_env() },
    };
    if let Some(k) = &o.keep {
        builder = quote! { #builder.keep(#k) };
    }
    let run = if o.rollback {
        quote! { ::seedbed_fixtures::__private::run_rollback }
    } else {
        quote! { ::seedbed_fixtures::__private::run_copy }
    };
    let test_name = LitStr::new(&name.to_string(), name.span());
    Ok(quote! {
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() #output {
            async fn __seedbed_fixture_test(#inputs) #output #block
            #run(#test_name, #builder, __seedbed_fixture_test)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{TokenStream, expand};

    /// The message the macro gives for `attr` on a plain async test, or "expanded".
    fn error_for(attr: &str) -> String {
        let attr: TokenStream = attr.parse().expect("tokens");
        let handle = if attr.to_string().contains("rollback") { "TxDb" } else { "Db" };
        let item: TokenStream = format!("async fn t(db: {handle}) {{}}").parse().expect("tokens");
        match expand(attr, item) {
            Ok(_) => "expanded".to_owned(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_wrong_option_is_named_with_the_fix() {
        let cases = [
            ("domains(draw)", "expanded"),
            (
                "domains(draw, booking), profile = \"dev\", seed = 7, scale = 2, now = \"2026-01-01T00:00:00Z\", url = \"sqlite:///tmp/x\", mode = \"rollback\"",
                "expanded",
            ),
            (
                "domains(draw), sead = 42",
                "unknown option `sead`: the options are domains(..), profile, seed, scale, now, url, keep, mode",
            ),
            ("domains(draw), profile = tiny", "`profile` takes a literal, e.g. profile = \"tiny\""),
            ("domains(draw), profile = 3", "`profile` takes a value like profile = \"tiny\""),
            ("domains(draw), seed = \"42\"", "`seed` takes a value like seed = 42"),
            ("domains(draw), seed = -1", "`seed` is a whole number from 0 to 2^64 - 1, e.g. seed = 42"),
            (
                "domains(draw), seed = 99999999999999999999",
                "`seed` is a whole number from 0 to 2^64 - 1, e.g. seed = 42",
            ),
            ("domains(draw), seed = x", "`seed` takes a literal, e.g. seed = 42"),
            (
                "domains(draw), mode = \"savepoint\"",
                "unknown mode \"savepoint\": mode is \"copy\" (the default) or \"rollback\"",
            ),
            ("domains(draw), seed = 1, seed = 2", "`seed` is given twice"),
            ("domains()", "domains(..) names at least one domain, e.g. domains(draw)"),
            (
                "profile = \"tiny\"",
                "#[seedbed_fixtures::test] needs the fixture's domains, e.g. #[seedbed_fixtures::test(domains(draw))]",
            ),
            ("domains(draw), keep", "`keep` takes a value: `keep = …`"),
            ("domains(draw), keep = true", "expanded"),
            (
                "domains(draw), keep = true, mode = \"rollback\"",
                "`keep` applies to copy mode: a rollback-mode test's writes are rolled back, leaving nothing to keep",
            ),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(attr, want)| error_for(attr) != *want)
            .map(|(attr, want)| format!("#[test({attr})]\n  wanted: {want}\n  got:    {}", error_for(attr)))
            .collect();
        assert!(wrong.is_empty(), "wrong messages:\n{}", wrong.join("\n"));
    }

    #[test]
    fn the_function_must_be_async_and_take_the_fixture() {
        let attr: TokenStream = "domains(draw)".parse().unwrap();
        let not_async = expand(attr.clone(), "fn t(db: Db) {}".parse().unwrap()).unwrap_err();
        assert_eq!(not_async.to_string(), "#[seedbed_fixtures::test] goes on an `async fn`");
        let no_arg = expand(attr.clone(), "async fn t() {}".parse().unwrap()).unwrap_err();
        assert_eq!(
            no_arg.to_string(),
            "a #[seedbed_fixtures::test] function takes the fixture as its one argument: `db: seedbed_fixtures::Db`"
        );
        let tx_in_copy_mode = expand(attr, "async fn t(db: TxDb) {}".parse().unwrap()).unwrap_err();
        assert_eq!(
            tx_in_copy_mode.to_string(),
            "a `TxDb` comes with mode = \"rollback\"; without it the test gets a copy: `db: Db`"
        );
    }

    #[test]
    fn domains_and_profile_are_checked_by_name_in_the_fixtures_crate() {
        let attr: TokenStream = "domains(draw, lottery), profile = \"huge\"".parse().unwrap();
        let out = expand(attr, "async fn t(db: Db) {}".parse().unwrap()).unwrap().to_string();
        for wanted in [
            "__private :: domain (\"lottery\")",
            "__private :: profile (\"huge\")",
            "# [:: core :: prelude :: v1 :: test]",
        ] {
            assert!(out.contains(wanted), "{wanted} missing from the expansion:\n{out}");
        }
    }
}
