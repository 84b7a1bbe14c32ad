//! A guarded XML reader: quick-xml underneath, with the hostile-input rules of traceport on
//! top (no DTD, no entities beyond the five predefined ones, bounded depth, attribute count,
//! text size and total size) and line numbers for every element, producing small element
//! trees one at a time so that a document of any length is read in bounded memory.

use std::io::{self, BufRead, Read};

use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::document::{DocumentError, Limits};

/// One element: its expanded name, attributes, children and text, and the line it starts on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    /// Namespace URI, `None` for an unqualified name.
    pub ns: Option<String>,
    /// The prefix as written (`None` for an unprefixed name).
    pub prefix: Option<String>,
    /// Local name.
    pub local: String,
    /// Attributes other than namespace declarations.
    pub attrs: Vec<Attr>,
    /// Child elements in order.
    pub children: Vec<Node>,
    /// Concatenated character data, unescaped (whitespace kept; callers trim).
    pub text: String,
    /// 1-based line of the start tag.
    pub line: usize,
}

/// One attribute.
#[derive(Debug, Clone)]
pub(crate) struct Attr {
    /// Namespace URI of a prefixed attribute.
    pub ns: Option<String>,
    /// The prefix as written.
    pub prefix: Option<String>,
    /// Local name.
    pub local: String,
    /// Unescaped value.
    pub value: String,
}

impl Node {
    /// The value of the unqualified attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.local == name)
            .map(|a| a.value.as_str())
    }
    /// The element's name as written, for messages.
    pub fn display_name(&self) -> String {
        match &self.prefix {
            Some(p) => format!("<{p}:{}>", self.local),
            None => format!("<{}>", self.local),
        }
    }
}

/// What the scanner saw at the current level.
pub(crate) enum Item {
    /// A start tag (the node has attributes but no children yet).
    Start(Node),
    /// The end tag closing the current level.
    End,
    /// End of input.
    Eof,
}

/// Counts bytes and lines as the XML parser consumes its input.
pub(crate) struct Counted<R> {
    inner: R,
    bytes: u64,
    newlines: usize,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        self.newlines += bytecount(&buf[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        // The buffer is still filled (consume follows fill_buf), so this does no I/O.
        if let Ok(buf) = self.inner.fill_buf() {
            let amt = amt.min(buf.len());
            self.newlines += bytecount(&buf[..amt]);
        }
        self.bytes += amt as u64;
        self.inner.consume(amt);
    }
}

fn bytecount(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// The guarded reader.
pub(crate) struct Scanner<R: BufRead> {
    reader: NsReader<Counted<R>>,
    buf: Vec<u8>,
    depth: usize,
    limits: Limits,
    /// Every `xmlns:prefix="uri"` seen, in order (the JSON-LD context is built from them).
    pub declared: Vec<(String, String)>,
    seen_root: bool,
}

impl<R: BufRead> Scanner<R> {
    /// A scanner over `input`.
    pub fn new(input: R, limits: &Limits) -> Scanner<R> {
        let mut reader = NsReader::from_reader(Counted {
            inner: input,
            bytes: 0,
            newlines: 0,
        });
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);
        Scanner {
            reader,
            buf: Vec::with_capacity(4096),
            depth: 0,
            limits: limits.clone(),
            declared: Vec::new(),
            seen_root: false,
        }
    }

    /// The current 1-based line.
    pub fn line(&self) -> usize {
        self.reader.get_ref().newlines + 1
    }

    /// Bytes consumed so far.
    pub fn bytes(&self) -> u64 {
        self.reader.get_ref().bytes
    }

    /// An [`DocumentError::Xml`] at the current line.
    pub fn error(&self, message: impl Into<String>) -> DocumentError {
        DocumentError::Xml {
            line: self.line(),
            message: message.into(),
        }
    }

    /// The next start tag, end tag or end of input at the current level; text, comments and
    /// processing instructions between elements are skipped.
    pub fn next_item(&mut self) -> Result<Item, DocumentError> {
        loop {
            match self.next_raw()? {
                Raw::Start(node) => return Ok(Item::Start(node)),
                Raw::End => return Ok(Item::End),
                Raw::Eof => return Ok(Item::Eof),
                Raw::Text(text) => {
                    if self.depth == 0 && !text.trim().is_empty() {
                        return Err(self.error("text outside the root element"));
                    }
                }
            }
        }
    }

    /// Reads the content of `start` (already read) up to its end tag, as a tree.
    pub fn subtree(&mut self, mut start: Node) -> Result<Node, DocumentError> {
        let mut stack: Vec<Node> = Vec::new();
        loop {
            match self.next_raw()? {
                Raw::Start(node) => {
                    stack.push(std::mem::replace(&mut start, node));
                }
                Raw::Text(text) => {
                    if start.text.len() + text.len() > self.limits.max_text_bytes {
                        return Err(self.error(format!(
                            "text of {} longer than {} bytes",
                            start.display_name(),
                            self.limits.max_text_bytes
                        )));
                    }
                    start.text.push_str(&text);
                }
                Raw::End => match stack.pop() {
                    Some(mut parent) => {
                        parent.children.push(start);
                        start = parent;
                    }
                    None => return Ok(start),
                },
                Raw::Eof => {
                    return Err(self.error(format!("end of input inside {}", start.display_name())))
                }
            }
        }
    }

    /// Skips the content of an element whose start tag was just read.
    pub fn skip(&mut self) -> Result<(), DocumentError> {
        let mut open = 0usize;
        loop {
            match self.next_raw()? {
                Raw::Start(_) => open += 1,
                Raw::End if open == 0 => return Ok(()),
                Raw::End => open -= 1,
                Raw::Text(_) => {}
                Raw::Eof => return Err(self.error("end of input inside an element")),
            }
        }
    }

    fn next_raw(&mut self) -> Result<Raw, DocumentError> {
        let line = self.line();
        self.buf.clear();
        let (resolved, event) = match self.reader.read_resolved_event_into(&mut self.buf) {
            Ok((resolved, event)) => (namespace_of(resolved), event.into_owned()),
            Err(e) => return Err(self.xml_error(e)),
        };
        if self.bytes() > self.limits.max_bytes as u64 {
            return Err(DocumentError::TooLarge(format!(
                "the document is larger than {} bytes",
                self.limits.max_bytes
            )));
        }
        match event {
            XmlEvent::Start(start) => {
                if self.seen_root && self.depth == 0 {
                    return Err(self.error("a second root element"));
                }
                self.seen_root = true;
                self.depth += 1;
                if self.depth > self.limits.max_depth {
                    return Err(self.error(format!(
                        "elements nested deeper than {} levels",
                        self.limits.max_depth
                    )));
                }
                let node = self.node(&start, resolved, line)?;
                Ok(Raw::Start(node))
            }
            XmlEvent::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                Ok(Raw::End)
            }
            XmlEvent::Empty(_) => Err(self.error("unexpected empty element")),
            XmlEvent::Text(text) => {
                if text.len() > self.limits.max_text_bytes {
                    return Err(self.error(format!(
                        "a text node longer than {} bytes",
                        self.limits.max_text_bytes
                    )));
                }
                match text.unescape() {
                    Ok(t) => Ok(Raw::Text(t.into_owned())),
                    Err(e) => Err(self.error(entity_message(&e.to_string()))),
                }
            }
            XmlEvent::CData(data) => {
                if data.len() > self.limits.max_text_bytes {
                    return Err(self.error(format!(
                        "a CDATA section longer than {} bytes",
                        self.limits.max_text_bytes
                    )));
                }
                match std::str::from_utf8(&data) {
                    Ok(t) => Ok(Raw::Text(t.to_string())),
                    Err(_) => Err(self.error("CDATA section is not UTF-8")),
                }
            }
            XmlEvent::DocType(text) => {
                let body = String::from_utf8_lossy(&text);
                if doctype_is_harmless(&body) {
                    Ok(Raw::Text(String::new()))
                } else {
                    Err(self.error(
                        "document type declarations with an internal subset or an external \
                         identifier are refused (no DTDs, no entities)",
                    ))
                }
            }
            XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::Comment(_) => {
                Ok(Raw::Text(String::new()))
            }
            XmlEvent::Eof => {
                if self.depth > 0 {
                    return Err(self.error("end of input before the root element was closed"));
                }
                if !self.seen_root {
                    return Err(self.error("no root element"));
                }
                Ok(Raw::Eof)
            }
        }
    }

    fn node(
        &mut self,
        start: &BytesStart,
        ns: Option<String>,
        line: usize,
    ) -> Result<Node, DocumentError> {
        let name = start.name();
        let local = utf8(name.local_name().as_ref());
        let prefix = name.prefix().map(|p| utf8(p.as_ref()));
        let mut attrs = Vec::new();
        let mut count = 0usize;
        for attr in start.attributes() {
            let attr = attr.map_err(|e| self.error(format!("<{local}>: {e}")))?;
            count += 1;
            if count > self.limits.max_attributes {
                return Err(self.error(format!(
                    "<{local}> has more than {} attributes",
                    self.limits.max_attributes
                )));
            }
            if attr.value.len() > self.limits.max_text_bytes {
                return Err(self.error(format!(
                    "an attribute of <{local}> is longer than {} bytes",
                    self.limits.max_text_bytes
                )));
            }
            let value = attr
                .unescape_value()
                .map_err(|e| self.error(format!("<{local}>: {}", entity_message(&e.to_string()))))?
                .into_owned();
            let key = attr.key;
            if let Some(binding) = key.as_namespace_binding() {
                if let quick_xml::name::PrefixDeclaration::Named(p) = binding {
                    self.declared.push((utf8(p), value));
                }
                continue;
            }
            let (resolved, attr_local) = self.reader.resolve_attribute(key);
            attrs.push(Attr {
                ns: namespace_of(resolved),
                prefix: key.prefix().map(|p| utf8(p.as_ref())),
                local: utf8(attr_local.as_ref()),
                value,
            });
        }
        Ok(Node {
            ns,
            prefix,
            local,
            attrs,
            children: Vec::new(),
            text: String::new(),
            line,
        })
    }

    fn xml_error(&self, e: quick_xml::Error) -> DocumentError {
        let message = match &e {
            quick_xml::Error::Escape(_) => entity_message(&e.to_string()),
            quick_xml::Error::Io(io) => format!("cannot read the input: {io}"),
            _ => format!("malformed XML: {e}"),
        };
        self.error(message)
    }
}

enum Raw {
    Start(Node),
    End,
    Text(String),
    Eof,
}

fn namespace_of(resolved: ResolveResult) -> Option<String> {
    match resolved {
        ResolveResult::Bound(ns) => Some(utf8(ns.as_ref())),
        _ => None,
    }
}

fn utf8(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn entity_message(detail: &str) -> String {
    format!(
        "only the predefined XML entities and character references are accepted \
         (no DTD-declared or external entities): {detail}"
    )
}

/// A `<!DOCTYPE name>` with neither internal subset nor external identifier declares nothing
/// (some of GS1's own examples carry one); anything more is refused.
fn doctype_is_harmless(body: &str) -> bool {
    let body = body.trim();
    !body.contains('[')
        && !body.contains('<')
        && !body.contains("SYSTEM")
        && !body.contains("PUBLIC")
        && body.split_whitespace().count() <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(xml: &str, limits: &Limits) -> Result<Node, DocumentError> {
        let mut s = Scanner::new(xml.as_bytes(), limits);
        match s.next_item()? {
            Item::Start(n) => s.subtree(n),
            _ => Err(s.error("no root")),
        }
    }

    #[test]
    fn lines_and_namespaces() {
        let node = tree(
            "<?xml version=\"1.0\"?>\n<a xmlns:x=\"urn:x\">\n  <x:b k=\"1\" x:j=\"2\"/>\n  <c>t &amp; u</c>\n</a>",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(node.line, 2);
        assert_eq!(node.children[0].line, 3);
        assert_eq!(node.children[0].ns.as_deref(), Some("urn:x"));
        assert_eq!(node.children[0].attr("k"), Some("1"));
        assert_eq!(node.children[0].attrs[1].ns.as_deref(), Some("urn:x"));
        assert_eq!(node.children[1].text, "t & u");
        assert_eq!(node.children[1].line, 4);
    }

    #[test]
    fn hostile_inputs_are_refused() {
        let limits = Limits {
            max_depth: 5,
            max_attributes: 3,
            max_text_bytes: 100,
            max_bytes: 10_000,
            ..Limits::default()
        };
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n<a>&lol2;</a>";
        let external = "<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>";
        let parameter = "<!DOCTYPE a [<!ENTITY % p SYSTEM \"http://x/\"> %p;]><a/>";
        let undeclared = "<a>&xxe;</a>";
        let deep = "<a><a><a><a><a><a></a></a></a></a></a></a>";
        let attrs = "<a b=\"1\" c=\"2\" d=\"3\" e=\"4\"/>";
        let text = format!("<a>{}</a>", "x".repeat(101));
        let big = format!("<a>{}</a>", "<b>x</b>".repeat(2000));
        for (name, doc) in [
            ("billion laughs", laughs.to_string()),
            ("external entity", external.to_string()),
            ("parameter entity", parameter.to_string()),
            ("undeclared entity", undeclared.to_string()),
            ("depth", deep.to_string()),
            ("attributes", attrs.to_string()),
            ("text", text),
            ("total size", big),
            ("unclosed", "<a><b></a>".to_string()),
        ] {
            assert!(tree(&doc, &limits).is_err(), "{name} accepted");
        }
        assert!(tree("<!DOCTYPE project>\n<a/>", &limits).is_ok());
    }
}
