//! Hearth's own touch gestures, recognised before anything reaches a guest.
//!
//! - An edge swipe: a finger that lands within [`EDGE_ZONE`] of the left or right bezel and
//!   moves sideways switches to the neighbouring VM.
//! - A three-finger horizontal swipe anywhere does the same.
//! - A swipe up from the bottom bezel goes home.
//!
//! The transition follows the finger; on release it commits when the finger went far enough
//! or fast enough, and snaps back otherwise. Touches that are not Hearth's pass through to
//! the guest; a touch that turns out to be part of a three-finger swipe is cancelled there.

use std::collections::BTreeMap;
use std::time::Duration;

/// How close to a bezel a finger must land to start an edge gesture, in logical pixels.
pub const EDGE_ZONE: f32 = 24.0;
/// How far a finger moves before a gesture takes a direction.
const SLOP: f32 = 12.0;
/// A swipe released past this fraction of the screen commits.
const COMMIT_DISTANCE: f32 = 0.35;
/// A swipe released faster than this (screens per second) in its direction commits.
const COMMIT_VELOCITY: f32 = 0.8;
/// A swipe up past this fraction of the height goes home.
const HOME_DISTANCE: f32 = 0.22;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Down,
    Move,
    Up,
    Cancel,
}

/// One touch point as the platform reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Touch {
    pub id: i32,
    pub phase: Phase,
    pub x: f32,
    pub y: f32,
    pub time: Duration,
}

/// What the recogniser decided about a touch event.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Not Hearth's: deliver to the guest (or the home screen).
    Pass(Touch),
    /// These touches were passed earlier but belong to a gesture now: cancel them there.
    CancelPassed(Vec<i32>),
    /// A sideways switch in progress: -1 ..= 1 of the width; positive when the finger moves
    /// right, which brings in the previous VM from the left.
    Switch { progress: f32 },
    /// The sideways switch ended; `direction` is -1 (previous VM), +1 (next) or 0 (snap back).
    SwitchEnd { direction: i32 },
    /// The swipe up to home in progress, 0 ..= 1.
    Home { progress: f32 },
    /// The swipe up ended: `commit` says whether to go home.
    HomeEnd { commit: bool },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Landed at a side bezel; becomes a switch once it moves sideways.
    SideEdge,
    /// Landed at the bottom bezel; becomes a home swipe once it moves up.
    BottomEdge,
    Switch,
    Home,
}

#[derive(Debug, Clone)]
struct Gesture {
    kind: Kind,
    fingers: Vec<i32>,
    start: (f32, f32),
    /// Recent (time, centroid) samples for the release velocity.
    samples: Vec<(Duration, (f32, f32))>,
}

#[derive(Debug)]
pub struct Recognizer {
    width: f32,
    height: f32,
    enabled: bool,
    down: BTreeMap<i32, (f32, f32)>,
    passed: Vec<i32>,
    gesture: Option<Gesture>,
}

impl Recognizer {
    pub fn new(width: f32, height: f32) -> Recognizer {
        Recognizer {
            width,
            height,
            enabled: true,
            down: BTreeMap::new(),
            passed: Vec::new(),
            gesture: None,
        }
    }

    pub fn resize(&mut self, width: f32, height: f32) {
        self.width = width.max(1.0);
        self.height = height.max(1.0);
    }

    /// Switches recognition on or off (off on screens with no VM to switch from). Touches
    /// already down finish as they started.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
    }

    /// Whether a gesture owns the fingers right now.
    pub fn in_gesture(&self) -> bool {
        self.gesture.is_some()
    }

    fn centroid(&self, fingers: &[i32]) -> (f32, f32) {
        let points: Vec<(f32, f32)> = fingers
            .iter()
            .filter_map(|id| self.down.get(id).copied())
            .collect();
        if points.is_empty() {
            return (0.0, 0.0);
        }
        let n = points.len() as f32;
        (
            points.iter().map(|p| p.0).sum::<f32>() / n,
            points.iter().map(|p| p.1).sum::<f32>() / n,
        )
    }

    pub fn handle(&mut self, touch: Touch) -> Vec<Output> {
        match touch.phase {
            Phase::Down => self.down(touch),
            Phase::Move => self.moved(touch),
            Phase::Up | Phase::Cancel => self.up(touch),
        }
    }

    fn down(&mut self, touch: Touch) -> Vec<Output> {
        self.down.insert(touch.id, (touch.x, touch.y));
        if let Some(gesture) = &mut self.gesture {
            // Extra fingers during a gesture belong to it.
            gesture.fingers.push(touch.id);
            return Vec::new();
        }
        if !self.enabled {
            self.passed.push(touch.id);
            return vec![Output::Pass(touch)];
        }
        if self.down.len() == 1 {
            let at_side = touch.x <= EDGE_ZONE || touch.x >= self.width - EDGE_ZONE;
            let at_bottom = touch.y >= self.height - EDGE_ZONE;
            let kind = if at_side {
                Some(Kind::SideEdge)
            } else if at_bottom {
                Some(Kind::BottomEdge)
            } else {
                None
            };
            if let Some(kind) = kind {
                self.gesture = Some(Gesture {
                    kind,
                    fingers: vec![touch.id],
                    start: (touch.x, touch.y),
                    samples: vec![(touch.time, (touch.x, touch.y))],
                });
                return Vec::new();
            }
        }
        if self.down.len() >= 3 {
            let fingers: Vec<i32> = self.down.keys().copied().collect();
            let cancelled: Vec<i32> = std::mem::take(&mut self.passed);
            let start = self.centroid(&fingers);
            self.gesture = Some(Gesture {
                kind: Kind::Switch,
                fingers,
                start,
                samples: vec![(touch.time, start)],
            });
            return if cancelled.is_empty() {
                Vec::new()
            } else {
                vec![Output::CancelPassed(cancelled)]
            };
        }
        self.passed.push(touch.id);
        vec![Output::Pass(touch)]
    }

    fn moved(&mut self, touch: Touch) -> Vec<Output> {
        if let Some(point) = self.down.get_mut(&touch.id) {
            *point = (touch.x, touch.y);
        }
        let Some(gesture) = self.gesture.clone() else {
            return if self.passed.contains(&touch.id) {
                vec![Output::Pass(touch)]
            } else {
                Vec::new()
            };
        };
        if !gesture.fingers.contains(&touch.id) {
            return Vec::new();
        }
        let (cx, cy) = self.centroid(&gesture.fingers);
        let (dx, dy) = (cx - gesture.start.0, cy - gesture.start.1);
        let mut gesture = gesture;
        gesture.samples.push((touch.time, (cx, cy)));
        let keep_after = touch.time.saturating_sub(Duration::from_millis(120));
        if gesture.samples.len() > 2 {
            gesture.samples.retain(|(t, _)| *t >= keep_after);
        }
        let output = match gesture.kind {
            Kind::SideEdge if dx.abs() > SLOP && dx.abs() >= dy.abs() => {
                gesture.kind = Kind::Switch;
                Some(Output::Switch {
                    progress: self.switch_progress(dx),
                })
            }
            Kind::BottomEdge if -dy > SLOP && -dy >= dx.abs() => {
                gesture.kind = Kind::Home;
                Some(Output::Home {
                    progress: self.home_progress(dy),
                })
            }
            Kind::Switch if dx.abs() > SLOP || gesture.fingers.len() < 3 => Some(Output::Switch {
                progress: self.switch_progress(dx),
            }),
            Kind::Home => Some(Output::Home {
                progress: self.home_progress(dy),
            }),
            _ => None,
        };
        self.gesture = Some(gesture);
        output.into_iter().collect()
    }

    fn switch_progress(&self, dx: f32) -> f32 {
        (dx / self.width).clamp(-1.0, 1.0)
    }

    fn home_progress(&self, dy: f32) -> f32 {
        (-dy / self.height).clamp(0.0, 1.0)
    }

    /// Centroid velocity over the recent samples, in screens per second.
    fn velocity(gesture: &Gesture, width: f32, height: f32) -> (f32, f32) {
        let (Some(first), Some(last)) = (gesture.samples.first(), gesture.samples.last()) else {
            return (0.0, 0.0);
        };
        let seconds = (last.0.saturating_sub(first.0)).as_secs_f32();
        if seconds <= 0.0 {
            return (0.0, 0.0);
        }
        (
            (last.1.0 - first.1.0) / width / seconds,
            (last.1.1 - first.1.1) / height / seconds,
        )
    }

    fn up(&mut self, touch: Touch) -> Vec<Output> {
        let position = self.down.remove(&touch.id);
        if let Some(point) = position {
            let _ = point;
        }
        let Some(gesture) = self.gesture.clone() else {
            if let Some(index) = self.passed.iter().position(|id| *id == touch.id) {
                self.passed.remove(index);
                return vec![Output::Pass(touch)];
            }
            return Vec::new();
        };
        if !gesture.fingers.contains(&touch.id) {
            return Vec::new();
        }
        // The gesture ends with its first finger lifted; the others are ignored until they lift.
        let still_down: Vec<i32> = gesture
            .fingers
            .iter()
            .copied()
            .filter(|id| self.down.contains_key(id))
            .collect();
        let (cx, cy) = {
            let mut fingers = still_down.clone();
            fingers.push(touch.id);
            self.down.insert(touch.id, (touch.x, touch.y));
            let centroid = self.centroid(&fingers);
            self.down.remove(&touch.id);
            centroid
        };
        let (dx, dy) = (cx - gesture.start.0, cy - gesture.start.1);
        let (vx, vy) = Self::velocity(&gesture, self.width, self.height);
        let cancelled = touch.phase == Phase::Cancel;
        let output = match gesture.kind {
            Kind::Switch => {
                let fraction = dx / self.width;
                let direction = if cancelled {
                    0
                } else if fraction > COMMIT_DISTANCE || (vx > COMMIT_VELOCITY && fraction > 0.0) {
                    -1
                } else if fraction < -COMMIT_DISTANCE || (vx < -COMMIT_VELOCITY && fraction < 0.0) {
                    1
                } else {
                    0
                };
                Some(Output::SwitchEnd { direction })
            }
            Kind::Home => {
                let fraction = -dy / self.height;
                let commit = !cancelled
                    && (fraction > HOME_DISTANCE || (-vy > COMMIT_VELOCITY && fraction > 0.0));
                Some(Output::HomeEnd { commit })
            }
            // A bezel touch that never became a gesture was a tap: let the guest have it.
            Kind::SideEdge | Kind::BottomEdge => None,
        };
        self.gesture = None;
        // Fingers of the gesture that are still down must not leak to the guest later.
        let _ = still_down;
        match output {
            Some(output) => vec![output],
            None => {
                let down = Touch {
                    phase: Phase::Down,
                    x: gesture.start.0,
                    y: gesture.start.1,
                    ..touch
                };
                vec![Output::Pass(down), Output::Pass(touch)]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(id: i32, phase: Phase, x: f32, y: f32, millis: u64) -> Touch {
        Touch {
            id,
            phase,
            x,
            y,
            time: Duration::from_millis(millis),
        }
    }

    fn run(events: &[Touch]) -> Vec<Output> {
        let mut recognizer = Recognizer::new(1000.0, 600.0);
        events.iter().flat_map(|t| recognizer.handle(*t)).collect()
    }

    #[test]
    fn an_edge_swipe_from_the_left_commits_to_the_previous_vm() {
        let outputs = run(&[
            at(0, Phase::Down, 5.0, 300.0, 0),
            at(0, Phase::Move, 200.0, 300.0, 100),
            at(0, Phase::Move, 450.0, 305.0, 200),
            at(0, Phase::Up, 450.0, 305.0, 400),
        ]);
        assert_eq!(outputs.first(), Some(&Output::Switch { progress: 0.195 }));
        assert_eq!(outputs.last(), Some(&Output::SwitchEnd { direction: -1 }));
    }

    #[test]
    fn a_short_slow_edge_swipe_snaps_back() {
        let outputs = run(&[
            at(0, Phase::Down, 995.0, 300.0, 0),
            at(0, Phase::Move, 900.0, 300.0, 200),
            at(0, Phase::Move, 850.0, 300.0, 800),
            at(0, Phase::Up, 850.0, 300.0, 1200),
        ]);
        assert_eq!(outputs.last(), Some(&Output::SwitchEnd { direction: 0 }));
    }

    #[test]
    fn a_fast_flick_commits_even_when_short() {
        let outputs = run(&[
            at(0, Phase::Down, 995.0, 300.0, 0),
            at(0, Phase::Move, 900.0, 300.0, 40),
            at(0, Phase::Move, 800.0, 300.0, 80),
            at(0, Phase::Up, 800.0, 300.0, 90),
        ]);
        assert_eq!(outputs.last(), Some(&Output::SwitchEnd { direction: 1 }));
    }

    #[test]
    fn three_fingers_cancel_what_the_guest_got_and_switch() {
        let outputs = run(&[
            at(0, Phase::Down, 400.0, 300.0, 0),
            at(1, Phase::Down, 450.0, 300.0, 10),
            at(2, Phase::Down, 500.0, 300.0, 20),
            at(0, Phase::Move, 100.0, 300.0, 100),
            at(1, Phase::Move, 150.0, 300.0, 100),
            at(2, Phase::Move, 200.0, 300.0, 100),
            at(0, Phase::Up, 100.0, 300.0, 150),
            at(1, Phase::Up, 150.0, 300.0, 150),
            at(2, Phase::Up, 200.0, 300.0, 150),
        ]);
        assert_eq!(
            outputs[0],
            Output::Pass(at(0, Phase::Down, 400.0, 300.0, 0))
        );
        assert_eq!(
            outputs[1],
            Output::Pass(at(1, Phase::Down, 450.0, 300.0, 10))
        );
        assert_eq!(outputs[2], Output::CancelPassed(vec![0, 1]));
        assert_eq!(outputs.last(), Some(&Output::SwitchEnd { direction: 1 }));
        assert!(!outputs.iter().skip(3).any(|o| matches!(o, Output::Pass(_))));
    }

    #[test]
    fn a_swipe_up_from_the_bottom_goes_home() {
        let outputs = run(&[
            at(0, Phase::Down, 500.0, 595.0, 0),
            at(0, Phase::Move, 505.0, 450.0, 100),
            at(0, Phase::Move, 505.0, 300.0, 200),
            at(0, Phase::Up, 505.0, 300.0, 300),
        ]);
        assert!(matches!(outputs[0], Output::Home { .. }));
        assert_eq!(outputs.last(), Some(&Output::HomeEnd { commit: true }));
    }

    #[test]
    fn touches_in_the_middle_pass_through_and_bezel_taps_arrive_late() {
        let outputs = run(&[
            at(0, Phase::Down, 500.0, 300.0, 0),
            at(0, Phase::Up, 500.0, 300.0, 50),
        ]);
        assert_eq!(outputs.len(), 2);
        assert!(outputs.iter().all(|o| matches!(o, Output::Pass(_))));
        let outputs = run(&[
            at(0, Phase::Down, 3.0, 300.0, 0),
            at(0, Phase::Up, 4.0, 301.0, 50),
        ]);
        assert_eq!(
            outputs,
            vec![
                Output::Pass(at(0, Phase::Down, 3.0, 300.0, 50)),
                Output::Pass(at(0, Phase::Up, 4.0, 301.0, 50))
            ]
        );
    }
}
