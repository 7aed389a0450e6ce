//! Pointing a domain's disks at what an image service manages: the image's disk at the
//! version's overlay (qcow2) with the version, raw and read-only, as its `<backingStore>`,
//! and the user's data disk at its file (added beside it when the domain has no such disk).
//! Only those elements change; every other byte of the definition stays as it was.

use std::ops::Range;
use std::path::Path;

use roxmltree::Node;

use crate::BootDisks;

/// The domain XML with `disks` in place; the XML itself when they already are.
pub fn with_boot_disks(xml: &str, disks: &BootDisks) -> Result<String, String> {
    let document = roxmltree::Document::parse(xml)
        .map_err(|error| format!("the domain's XML does not parse: {error}"))?;
    let devices = document
        .descendants()
        .find(|node| node.has_tag_name("devices"))
        .ok_or("the domain has no devices")?;
    let image = find_disk(devices, &disks.target)?;
    if is_pointed(image, disks, devices) {
        return Ok(xml.to_string());
    }
    let mut edits = overlay_edits(image, &disks.target, &disks.overlay, &disks.base)?;
    if let Some((target, file)) = &disks.data {
        match find_disk(devices, target) {
            Ok(disk) => edits.extend(raw_source_edits(disk, target, file)?),
            Err(_) => {
                let end = devices.range().end;
                let close = xml[..end]
                    .rfind("</devices>")
                    .ok_or("the devices element is empty")?;
                edits.push((close..close, data_disk_element(target, file)?));
            }
        }
    }
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut edited = xml.to_string();
    for (range, value) in edits {
        edited.replace_range(range, &value);
    }
    Ok(edited)
}

/// The `device='disk'` element with this target (empty: the first disk).
fn find_disk<'a, 'input>(
    devices: Node<'a, 'input>,
    target: &str,
) -> Result<Node<'a, 'input>, String> {
    devices
        .children()
        .filter(|node| {
            node.has_tag_name("disk") && node.attribute("device").unwrap_or("disk") == "disk"
        })
        .find(|disk| {
            target.is_empty()
                || child(*disk, "target").and_then(|t| t.attribute("dev")) == Some(target)
        })
        .ok_or_else(|| {
            if target.is_empty() {
                "the domain has no disk".to_string()
            } else {
                format!("the domain has no disk {target}")
            }
        })
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|child| child.has_tag_name(name))
}

fn source_file<'a>(disk: Node<'a, '_>) -> Option<&'a str> {
    child(disk, "source").and_then(|source| source.attribute("file"))
}

fn driver_type<'a>(disk: Node<'a, '_>) -> Option<&'a str> {
    child(disk, "driver").and_then(|driver| driver.attribute("type"))
}

/// Whether the definition already says what `disks` asks for.
fn is_pointed(image: Node<'_, '_>, disks: &BootDisks, devices: Node<'_, '_>) -> bool {
    let path = |file: &Path| file.to_str().map(str::to_string);
    let backing = child(image, "backingStore");
    let image_ok = source_file(image).map(str::to_string) == path(&disks.overlay)
        && driver_type(image) == Some("qcow2")
        && backing.and_then(source_file).map(str::to_string) == path(&disks.base)
        && backing
            .and_then(|b| child(b, "format"))
            .and_then(|f| f.attribute("type"))
            == Some("raw");
    let data_ok = disks.data.as_ref().is_none_or(|(target, file)| {
        find_disk(devices, target).is_ok_and(|disk| {
            source_file(disk).map(str::to_string) == path(file) && driver_type(disk) == Some("raw")
        })
    });
    image_ok && data_ok
}

fn name_of(target: &str) -> &str {
    if target.is_empty() {
        "its first disk"
    } else {
        target
    }
}

fn checked_file_disk<'a, 'input>(
    disk: Node<'a, 'input>,
    target: &str,
) -> Result<Node<'a, 'input>, String> {
    if disk.attribute("type").unwrap_or("file") != "file" {
        return Err(format!(
            "{} is not a file disk (its type is {:?})",
            name_of(target),
            disk.attribute("type")
        ));
    }
    child(disk, "source")
        .filter(|source| source.attribute("file").is_some())
        .ok_or_else(|| format!("{} has no source file", name_of(target)))
}

type Edit = (Range<usize>, String);

/// The edits that make `disk` a qcow2 overlay over `base`.
fn overlay_edits(
    disk: Node<'_, '_>,
    target: &str,
    overlay: &Path,
    base: &Path,
) -> Result<Vec<Edit>, String> {
    let source = checked_file_disk(disk, target)?;
    let file = source.attribute_node("file").expect("checked above");
    let mut edits = vec![(file.range_value(), escape(utf8(overlay)?))];
    edits.push(driver_edit(disk, source, "qcow2"));
    let backing = format!(
        "<backingStore type='file'><format type='raw'/><source file='{}'/><backingStore/></backingStore>",
        escape(utf8(base)?)
    );
    match child(disk, "backingStore") {
        Some(old) => edits.push((old.range(), backing)),
        None => {
            let at = source.range().end;
            edits.push((at..at, backing));
        }
    }
    Ok(edits)
}

/// The edits that point `disk` at the raw `file`.
fn raw_source_edits(disk: Node<'_, '_>, target: &str, file: &Path) -> Result<Vec<Edit>, String> {
    let source = checked_file_disk(disk, target)?;
    let attribute = source.attribute_node("file").expect("checked above");
    let mut edits = vec![(attribute.range_value(), escape(utf8(file)?))];
    edits.push(driver_edit(disk, source, "raw"));
    if let Some(old) = child(disk, "backingStore") {
        edits.push((old.range(), String::new()));
    }
    Ok(edits)
}

/// Sets the disk's `<driver type>`: the attribute's value, the attribute added to a driver
/// without one, or a driver added before the source.
fn driver_edit(disk: Node<'_, '_>, source: Node<'_, '_>, kind: &str) -> Edit {
    match child(disk, "driver") {
        Some(driver) => match driver.attribute_node("type") {
            Some(attribute) => (attribute.range_value(), kind.to_string()),
            None => {
                let at = driver.range().start + "<driver".len();
                (at..at, format!(" type='{kind}'"))
            }
        },
        None => {
            let at = source.range().start;
            (at..at, format!("<driver name='qemu' type='{kind}'/>"))
        }
    }
}

fn data_disk_element(target: &str, file: &Path) -> Result<String, String> {
    let bus = match target.get(..2) {
        Some("sd") => "sata",
        Some("hd") => "ide",
        _ => "virtio",
    };
    Ok(format!(
        "  <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{}'/><target dev='{}' bus='{bus}'/></disk>\n  ",
        escape(utf8(file)?),
        escape(target)
    ))
}

fn utf8(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", path.display()))
}

fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for character in value.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<domain type='kvm'>\n  <name>work</name>\n  <devices>\n    <disk type='file' device='cdrom'><source file='/iso/tools.iso'/><target dev='sda'/></disk>\n    <disk type='file' device='disk'>\n      <driver name='qemu' type='raw' cache='none'/>\n      <source file='/var/lib/hearth/images/work/versions/1.img'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n    <disk type=\"file\" device=\"disk\"><source file=\"/data/home.img\"/><target dev=\"vdb\"/></disk>\n  </devices>\n</domain>\n";

    fn disks(data: Option<(&str, &str)>) -> BootDisks {
        BootDisks {
            target: "vda".into(),
            overlay: "/images/work & co/overlays/2.qcow2".into(),
            base: "/images/work & co/versions/2.img".into(),
            data: data.map(|(target, file)| (target.to_string(), file.into())),
        }
    }

    const BACKING: &str = "<backingStore type='file'><format type='raw'/><source file='/images/work &amp; co/versions/2.img'/><backingStore/></backingStore>";

    #[test]
    fn the_image_disk_becomes_an_overlay_over_the_version_and_nothing_else_changes() {
        let edited = with_boot_disks(XML, &disks(None)).expect("edited");
        let expected = XML
            .replace("type='raw' cache", "type='qcow2' cache")
            .replace(
                "<source file='/var/lib/hearth/images/work/versions/1.img'/>",
                &format!("<source file='/images/work &amp; co/overlays/2.qcow2'/>{BACKING}"),
            );
        assert_eq!(edited, expected);
        // Without a target, the first disk that is a disk (not the CD-ROM).
        let first = BootDisks {
            target: String::new(),
            ..disks(None)
        };
        assert_eq!(with_boot_disks(XML, &first).expect("edited"), expected);
        // Done twice, the second finds it in place and changes nothing; a new version
        // replaces the backing store rather than adding one.
        assert_eq!(
            with_boot_disks(&edited, &disks(None)).expect("edited"),
            edited
        );
        let next = BootDisks {
            overlay: "/o/3.qcow2".into(),
            base: "/v/3.img".into(),
            ..disks(None)
        };
        let again = with_boot_disks(&edited, &next).expect("edited");
        assert_eq!(again.matches("<backingStore type").count(), 1, "{again}");
        assert!(again.contains("<source file='/v/3.img'/>"), "{again}");
    }

    #[test]
    fn the_data_disk_is_pointed_at_or_added() {
        let edited = with_boot_disks(XML, &disks(Some(("vdb", "/d/data.img")))).expect("edited");
        assert!(edited.contains(
            "<disk type=\"file\" device=\"disk\"><driver name='qemu' type='raw'/><source file=\"/d/data.img\"/>"
        ), "{edited}");
        let added = with_boot_disks(XML, &disks(Some(("vdc", "/d/data.img")))).expect("edited");
        let element = "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/d/data.img'/><target dev='vdc' bus='virtio'/></disk>";
        assert!(added.contains(element), "{added}");
        assert!(
            added.ends_with("</disk>\n  </devices>\n</domain>\n"),
            "{added}"
        );
        roxmltree::Document::parse(&added).expect("still XML");
        assert_eq!(
            with_boot_disks(&added, &disks(Some(("vdc", "/d/data.img")))).expect("edited"),
            added,
            "added twice"
        );
    }

    #[test]
    fn a_missing_or_foreign_disk_is_refused_with_its_reason() {
        let missing = BootDisks {
            target: "vdz".into(),
            ..disks(None)
        };
        let error = with_boot_disks(XML, &missing).expect_err("refused");
        assert_eq!(error, "the domain has no disk vdz");
        let block = "<domain><devices><disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vda'/></disk></devices></domain>";
        let error = with_boot_disks(block, &disks(None)).expect_err("refused");
        assert!(error.contains("not a file disk"), "{error}");
        assert!(with_boot_disks("<domain>", &disks(None)).is_err());
    }
}
