//! The browser's grid: where each card sits in rows of as many columns as the screen has room
//! for, with photos sorted by date grouped under month headings, and which cards a stretch of
//! the scrolled grid shows (so only their thumbnails load).

/// A card's place: its card row, its column, and how many headings are above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    pub row: usize,
    pub column: usize,
    pub headings: usize,
}

/// A heading above the card row `row`, the `index`th heading (from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub title: String,
    pub row: usize,
    pub index: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    pub places: Vec<Place>,
    pub headings: Vec<Heading>,
    /// Card rows in all.
    pub rows: usize,
}

/// Lays out cards in `columns` columns. With `groups` (each card's group, cards of a group next
/// to each other), each group starts a new row under its heading, titled by `title` (called
/// with the group's first card).
pub fn layout(
    count: usize,
    columns: usize,
    groups: Option<&[i64]>,
    mut title: impl FnMut(usize) -> String,
) -> Layout {
    let columns = columns.max(1);
    let mut layout = Layout::default();
    let (mut row, mut column) = (0, 0);
    for index in 0..count {
        if let Some(groups) = groups
            && (index == 0 || groups[index] != groups[index - 1])
        {
            if column > 0 {
                (row, column) = (row + 1, 0);
            }
            layout.headings.push(Heading {
                title: title(index),
                row,
                index: layout.headings.len(),
            });
        }
        layout.places.push(Place {
            row,
            column,
            headings: layout.headings.len(),
        });
        column += 1;
        if column == columns {
            (row, column) = (row + 1, 0);
        }
    }
    layout.rows = row + usize::from(column > 0);
    layout
}

/// Sizes on screen, in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub row_height: f32,
    pub heading_height: f32,
}

impl Layout {
    /// The cards (first, last, inclusive) that the stretch from `top` to `bottom` of the grid
    /// shows, with a row more on either side; `None` when it shows none.
    pub fn visible(&self, top: f32, bottom: f32, metrics: Metrics) -> Option<(usize, usize)> {
        let y = |place: &Place| {
            place.row as f32 * metrics.row_height + place.headings as f32 * metrics.heading_height
        };
        let (top, bottom) = (top - metrics.row_height, bottom + metrics.row_height);
        let first = self
            .places
            .partition_point(|place| y(place) + metrics.row_height <= top);
        let end = self.places.partition_point(|place| y(place) < bottom);
        (first < end).then(|| (first, end - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONTHS: [&str; 3] = ["May", "April", "March"];

    fn month(key: i64) -> String {
        MONTHS[key as usize].to_string()
    }

    #[test]
    fn cards_fill_rows_and_each_group_starts_a_row_under_its_heading() {
        let plain = layout(7, 3, None, |_| unreachable!("no headings"));
        assert_eq!(plain.rows, 3);
        assert!(plain.headings.is_empty());
        assert_eq!(
            plain.places[4],
            Place {
                row: 1,
                column: 1,
                headings: 0
            }
        );

        let months = [0, 0, 0, 0, 1, 2, 2];
        let grouped = layout(7, 3, Some(&months), |index| month(months[index]));
        let titles: Vec<(&str, usize, usize)> = grouped
            .headings
            .iter()
            .map(|heading| (heading.title.as_str(), heading.row, heading.index))
            .collect();
        assert_eq!(titles, [("May", 0, 0), ("April", 2, 1), ("March", 3, 2)]);
        let places: Vec<(usize, usize, usize)> = grouped
            .places
            .iter()
            .map(|place| (place.row, place.column, place.headings))
            .collect();
        assert_eq!(
            places,
            [
                (0, 0, 1),
                (0, 1, 1),
                (0, 2, 1),
                (1, 0, 1),
                (2, 0, 2),
                (3, 0, 3),
                (3, 1, 3)
            ]
        );
        assert_eq!(grouped.rows, 4);
    }

    #[test]
    fn the_visible_stretch_counts_the_headings_above_it() {
        let months: Vec<i64> = [0; 9].into_iter().chain([1; 9]).collect();
        let grouped = layout(18, 3, Some(&months), |index| month(months[index]));
        let metrics = Metrics {
            row_height: 100.0,
            heading_height: 50.0,
        };
        // May: heading at 0, rows at 50, 150, 250; April: heading at 350, rows at 400, 500, 600.
        assert_eq!(grouped.visible(0.0, 120.0, metrics), Some((0, 5)));
        assert_eq!(grouped.visible(560.0, 700.0, metrics), Some((9, 17)));
        assert_eq!(grouped.visible(5000.0, 5100.0, metrics), None);
        let plain = layout(18, 3, None, |_| String::new());
        assert_eq!(plain.visible(250.0, 350.0, metrics), Some((3, 14)));
    }
}
