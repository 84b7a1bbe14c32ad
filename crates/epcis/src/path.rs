//! JSON pointers built lazily: a chain of borrowed segments, rendered only when an error
//! needs one, so that validating a valid event allocates nothing for paths.

use std::fmt::Write as _;

use crate::lexical::escape_pointer_token;

/// One step of a path.
#[derive(Debug, Clone, Copy)]
enum Seg<'p> {
    /// An already rendered prefix (e.g. `/epcisBody/eventList/3`), or empty for the root.
    Prefix(&'p str),
    /// An object member.
    Key(&'p str),
    /// An array element.
    Index(usize),
}

/// A JSON pointer under construction.
#[derive(Debug, Clone, Copy)]
pub struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    seg: Seg<'p>,
}

impl<'p> Path<'p> {
    /// A path starting at `prefix` (an already rendered pointer, `""` for the document root).
    pub fn root(prefix: &'p str) -> Path<'p> {
        Path {
            parent: None,
            seg: Seg::Prefix(prefix),
        }
    }

    /// The member `key` of this value.
    pub fn key(&'p self, key: &'p str) -> Path<'p> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    /// The element `index` of this value.
    pub fn index(&'p self, index: usize) -> Path<'p> {
        Path {
            parent: Some(self),
            seg: Seg::Index(index),
        }
    }

    /// The pointer text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.write(out);
        }
        match self.seg {
            Seg::Prefix(p) => out.push_str(p),
            Seg::Key(k) => {
                out.push('/');
                out.push_str(&escape_pointer_token(k));
            }
            Seg::Index(i) => {
                let _ = write!(out, "/{i}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_escaped_pointer() {
        let root = Path::root("/epcisBody/eventList/3");
        let list = root.key("epcList");
        assert_eq!(list.index(0).render(), "/epcisBody/eventList/3/epcList/0");
        assert_eq!(Path::root("").key("a/b~c").render(), "/a~1b~0c");
    }
}
