//! Pointing a domain's disk at another image file: only the `file` attribute of its
//! `<source>` (and a non-raw `<driver type>`, since image versions are raw files) changes;
//! every other byte of the definition stays as it was.

use std::path::Path;

/// The domain XML with the source of disk `target` (a target such as `vda`; empty for the
/// first `device='disk'`) replaced by `file`.
pub fn with_disk_source(xml: &str, target: &str, file: &Path) -> Result<String, String> {
    let document = roxmltree::Document::parse(xml)
        .map_err(|error| format!("the domain's XML does not parse: {error}"))?;
    let disks = document.descendants().filter(|node| {
        node.has_tag_name("disk")
            && node
                .parent()
                .is_some_and(|parent| parent.has_tag_name("devices"))
            && node.attribute("device").unwrap_or("disk") == "disk"
    });
    let mut disks = disks.filter(|disk| {
        target.is_empty()
            || disk
                .children()
                .any(|child| child.has_tag_name("target") && child.attribute("dev") == Some(target))
    });
    let what = if target.is_empty() {
        "the domain has no disk".to_string()
    } else {
        format!("the domain has no disk {target}")
    };
    let disk = disks.next().ok_or(what)?;
    let name = if target.is_empty() {
        "its first disk"
    } else {
        target
    };
    if disk.attribute("type").unwrap_or("file") != "file" {
        return Err(format!(
            "{name} is not a file disk (its type is {:?})",
            disk.attribute("type")
        ));
    }
    let source = disk
        .children()
        .find(|child| child.has_tag_name("source"))
        .and_then(|source| source.attribute_node("file"))
        .ok_or_else(|| format!("{name} has no source file"))?;
    let file = file
        .to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", file.display()))?;
    let mut edits = vec![(source.range_value(), escape(file))];
    if let Some(driver) = disk
        .children()
        .find(|child| child.has_tag_name("driver"))
        .and_then(|driver| driver.attribute_node("type"))
        .filter(|kind| kind.value() != "raw")
    {
        edits.push((driver.range_value(), "raw".to_string()));
    }
    edits.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    let mut edited = xml.to_string();
    for (range, value) in edits {
        edited.replace_range(range, &value);
    }
    Ok(edited)
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

    const XML: &str = "<domain type='kvm'>\n  <name>work</name>\n  <devices>\n    <disk type='file' device='cdrom'><source file='/iso/tools.iso'/><target dev='sda'/></disk>\n    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2' cache='none'/>\n      <source file='/var/lib/hearth/images/work/versions/1.img'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n    <disk type=\"file\" device=\"disk\"><source file=\"/data/home.img\"/><target dev=\"vdb\"/></disk>\n  </devices>\n</domain>\n";

    #[test]
    fn only_the_source_and_a_foreign_driver_type_change() {
        let edited =
            with_disk_source(XML, "vda", Path::new("/images/work & co/2.img")).expect("edited");
        let expected = XML.replace("type='qcow2'", "type='raw'").replace(
            "/var/lib/hearth/images/work/versions/1.img",
            "/images/work &amp; co/2.img",
        );
        assert_eq!(edited, expected);
        // Without a target, the first disk that is a disk (not the CD-ROM).
        assert_eq!(
            with_disk_source(XML, "", Path::new("/images/work & co/2.img")).expect("edited"),
            expected
        );
        let other = with_disk_source(XML, "vdb", Path::new("/data/new.img")).expect("edited");
        assert_eq!(other, XML.replace("/data/home.img", "/data/new.img"));
    }

    #[test]
    fn a_missing_or_foreign_disk_is_refused_with_its_reason() {
        let error = with_disk_source(XML, "vdz", Path::new("/x.img")).expect_err("refused");
        assert_eq!(error, "the domain has no disk vdz");
        let block = "<domain><devices><disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vda'/></disk></devices></domain>";
        let error = with_disk_source(block, "vda", Path::new("/x.img")).expect_err("refused");
        assert!(error.contains("not a file disk"), "{error}");
        assert!(with_disk_source("<domain>", "", Path::new("/x.img")).is_err());
    }
}
