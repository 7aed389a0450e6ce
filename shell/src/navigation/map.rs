//! Where focus can go on one layer (a screen, or a sheet over it), and where an arrow key takes
//! it: plain data, so that it is tested without pixels.
//!
//! A layer is a column of groups (a top bar, a row of tiles, a grid of cards, a list of
//! actions), top to bottom. Each control in a group has a row within its group and its
//! middle across the screen (0 is the left edge, 1 the right). Left and Right move along a
//! row; Up and Down move a row within the group, then into the next group, to the control
//! nearest in x, or to the one focus last left that group at: a row remembers its column.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    Left,
    Right,
}

/// What OK does to a control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// OK presses it; a long OK too.
    Press,
    /// OK presses it; a long OK is its long press (a card's actions).
    Hold,
    /// A slider: Left and Right change its value instead of moving focus.
    Adjust,
}

/// One control that takes focus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// How the UI knows it within its group (its index, unless the group says otherwise).
    pub id: usize,
    pub row: u32,
    /// The middle of the control across the screen, as a fraction of its width.
    pub x: f32,
    pub kind: Kind,
}

impl Cell {
    pub fn new(id: usize, row: u32, x: f32) -> Cell {
        Cell {
            id,
            row,
            x,
            kind: Kind::Press,
        }
    }

    pub fn with_kind(self, kind: Kind) -> Cell {
        Cell { kind, ..self }
    }
}

/// Controls that belong together: a bar, a row, a grid, a list. Names are unique on a layer
/// and are what the UI matches to draw the ring.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: &'static str,
    pub cells: Vec<Cell>,
}

impl Group {
    pub fn new(name: &'static str) -> Group {
        Group {
            name,
            cells: Vec::new(),
        }
    }

    /// Controls side by side in one row, spread evenly across `from..to` of the width.
    pub fn row(name: &'static str, count: usize, from: f32, to: f32) -> Group {
        let step = (to - from) / count.max(1) as f32;
        Group {
            name,
            cells: (0..count)
                .map(|index| Cell::new(index, 0, from + step * (index as f32 + 0.5)))
                .collect(),
        }
    }

    /// Controls one above the other, all at `x`.
    pub fn column(name: &'static str, count: usize, x: f32) -> Group {
        Group {
            name,
            cells: (0..count)
                .map(|index| Cell::new(index, index as u32, x))
                .collect(),
        }
    }

    pub fn push(&mut self, cell: Cell) {
        self.cells.push(cell);
    }
}

/// A control by its group's name and its id in that group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Spot {
    pub group: &'static str,
    pub index: usize,
}

/// The groups of one layer, top to bottom, and where focus starts on it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FocusMap {
    pub groups: Vec<Group>,
    /// Where focus goes first; the first control when None or gone.
    pub initial: Option<Spot>,
}

impl FocusMap {
    /// Adds a group, unless it has no controls.
    pub fn add(&mut self, group: Group) {
        if !group.cells.is_empty() {
            self.groups.push(group);
        }
    }

    pub fn cell(&self, spot: Spot) -> Option<&Cell> {
        self.group(spot.group)?
            .cells
            .iter()
            .find(|cell| cell.id == spot.index)
    }

    fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|group| group.name == name)
    }

    /// Where focus starts: `initial` if it is on the layer, else its first control.
    pub fn start(&self) -> Option<Spot> {
        self.initial
            .filter(|spot| self.cell(*spot).is_some())
            .or_else(|| {
                self.groups.first().map(|group| Spot {
                    group: group.name,
                    index: group.cells[0].id,
                })
            })
    }

    /// Where an arrow takes focus from `from`; None where there is nothing that way.
    /// `memory` holds, per group, the id focus last left it at.
    pub fn step(
        &self,
        from: Spot,
        direction: Direction,
        memory: &HashMap<&'static str, usize>,
    ) -> Option<Spot> {
        let group_index = self.groups.iter().position(|g| g.name == from.group)?;
        let group = &self.groups[group_index];
        let here = group.cells.iter().find(|cell| cell.id == from.index)?;
        let spot = |position: usize| Spot {
            group: group.name,
            index: group.cells[position].id,
        };
        match direction {
            Direction::Left | Direction::Right => {
                let right = direction == Direction::Right;
                nearest_along_row(&group.cells, here, right).map(spot)
            }
            Direction::Up | Direction::Down => {
                let down = direction == Direction::Down;
                if let Some(index) = nearest_in_next_row(&group.cells, here.row, here.x, down) {
                    return Some(spot(index));
                }
                // Out of this group, into the next one that way.
                let next = if down {
                    self.groups.get(group_index + 1)?
                } else {
                    self.groups.get(group_index.checked_sub(1)?)?
                };
                let remembered = memory
                    .get(next.name)
                    .copied()
                    .filter(|id| next.cells.iter().any(|cell| cell.id == *id));
                let index = remembered.or_else(|| {
                    entry(&next.cells, here.x, down).map(|position| next.cells[position].id)
                })?;
                Some(Spot {
                    group: next.name,
                    index,
                })
            }
        }
    }
}

/// The closest control in the same row on that side.
fn nearest_along_row(cells: &[Cell], here: &Cell, right: bool) -> Option<usize> {
    cells
        .iter()
        .enumerate()
        .filter(|(_, cell)| cell.row == here.row)
        .filter(|(_, cell)| {
            if right {
                cell.x > here.x
            } else {
                cell.x < here.x
            }
        })
        .min_by(|(_, a), (_, b)| (a.x - here.x).abs().total_cmp(&(b.x - here.x).abs()))
        .map(|(index, _)| index)
}

/// In the nearest row below (or above) `row` within the group, the control nearest `x`.
fn nearest_in_next_row(cells: &[Cell], row: u32, x: f32, down: bool) -> Option<usize> {
    let next_row = cells
        .iter()
        .map(|cell| cell.row)
        .filter(|r| if down { *r > row } else { *r < row })
        .reduce(|a, b| if down { a.min(b) } else { a.max(b) })?;
    nearest_in_row(cells, next_row, x)
}

/// Entering a group from above (its top row) or below (its bottom row).
fn entry(cells: &[Cell], x: f32, down: bool) -> Option<usize> {
    let rows = cells.iter().map(|cell| cell.row);
    let row = if down { rows.min()? } else { rows.max()? };
    nearest_in_row(cells, row, x)
}

fn nearest_in_row(cells: &[Cell], row: u32, x: f32) -> Option<usize> {
    cells
        .iter()
        .enumerate()
        .filter(|(_, cell)| cell.row == row)
        .min_by(|(_, a), (_, b)| (a.x - x).abs().total_cmp(&(b.x - x).abs()))
        .map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A home-like layer: a settings button top right, two tiles, three shelves, and a grid of
    /// five cards in rows of three.
    fn layer() -> FocusMap {
        let mut map = FocusMap::default();
        map.add(Group::row("bar", 1, 0.9, 1.0));
        map.add(Group::row("tiles", 2, 0.0, 1.0));
        map.add(Group::row("shelves", 3, 0.0, 1.0));
        let mut grid = Group::new("grid");
        for index in 0..5u32 {
            grid.push(Cell::new(
                index as usize,
                index / 3,
                (index % 3) as f32 / 3.0 + 1.0 / 6.0,
            ));
        }
        map.add(grid);
        map.add(Group::new("empty"));
        map
    }

    fn spot(group: &'static str, index: usize) -> Spot {
        Spot { group, index }
    }

    fn check(from: Spot, direction: Direction, expected: Option<Spot>) {
        let memory = HashMap::new();
        assert_eq!(
            layer().step(from, direction, &memory),
            expected,
            "{direction:?} from {from:?}"
        );
    }

    #[test]
    fn arrows_go_to_the_nearest_control_that_way() {
        use Direction::*;
        check(spot("tiles", 0), Right, Some(spot("tiles", 1)));
        check(spot("tiles", 1), Right, None);
        check(spot("tiles", 0), Left, None);
        check(spot("tiles", 1), Up, Some(spot("bar", 0)));
        check(spot("tiles", 0), Up, Some(spot("bar", 0)));
        check(spot("bar", 0), Up, None);
        // The right tile's middle (0.75) is nearest the right shelf (0.83).
        check(spot("tiles", 1), Down, Some(spot("shelves", 2)));
        check(spot("tiles", 0), Down, Some(spot("shelves", 0)));
        check(spot("shelves", 1), Down, Some(spot("grid", 1)));
        // Within the grid Down keeps the column while the next row has it, else the nearest.
        check(spot("grid", 0), Down, Some(spot("grid", 3)));
        check(spot("grid", 2), Down, Some(spot("grid", 4)));
        check(spot("grid", 4), Up, Some(spot("grid", 1)));
        check(spot("grid", 3), Right, Some(spot("grid", 4)));
        check(spot("grid", 2), Right, None);
        // The last row of the last group: nothing below (the empty group was never added).
        check(spot("grid", 3), Down, None);
        check(spot("grid", 0), Up, Some(spot("shelves", 0)));
    }

    #[test]
    fn a_group_remembers_where_focus_left_it() {
        let map = layer();
        let mut memory = HashMap::new();
        memory.insert("tiles", 1);
        assert_eq!(
            map.step(spot("shelves", 0), Direction::Up, &memory),
            Some(spot("tiles", 1))
        );
        // A remembered index the group no longer has is ignored.
        memory.insert("tiles", 7);
        assert_eq!(
            map.step(spot("shelves", 0), Direction::Up, &memory),
            Some(spot("tiles", 0))
        );
    }

    #[test]
    fn focus_starts_at_the_initial_control_while_it_exists() {
        let mut map = layer();
        assert_eq!(map.start(), Some(spot("bar", 0)));
        map.initial = Some(spot("tiles", 1));
        assert_eq!(map.start(), Some(spot("tiles", 1)));
        map.initial = Some(spot("tiles", 2));
        assert_eq!(map.start(), Some(spot("bar", 0)));
        assert_eq!(FocusMap::default().start(), None);
    }
}
