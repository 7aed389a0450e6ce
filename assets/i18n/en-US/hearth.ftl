# Hearth's words in English (United States). Every visible string comes from here.

app-name = Hearth
home-title = Your computers
open-settings = Settings
settings-title = Settings
language-title = Language
back = Back
go-home = Home
actions = Actions
cancel = Cancel
close = Close
dismiss = Dismiss
no-vms = No computers are configured. Add them to the configuration file.
choose-console = Choose a screen
gestures-hint = Tap a computer to use it. Swipe in from a side edge to switch, swipe up from the bottom edge to come back here. Keyboard: Ctrl+Alt+Left/Right or Ctrl+Alt+1…9 to switch, Ctrl+Alt+Up for home.

vm-off-hint = This computer is off
vm-paused-hint = Paused
vm-starting-hint = Starting…
vm-stopping-hint = Shutting down…
vm-crashed-hint = This computer stopped unexpectedly
start = Start
resume = Resume

# { $count }: how many VMs run; { $total }: how many there are.
connecting-summary = Connecting to your computers…
running-summary =
    { $count ->
        [0] Nothing is running
        [one] { $count } computer running
       *[other] { $count } computers running
    }

hypervisor-connected = { $name }
hypervisor-unavailable = { $name } unavailable

role-work = Work
role-personal = Personal
role-other = Other

state-running = Running
state-paused = Paused
state-shut-off = Off
state-crashed = Crashed
state-starting = Starting
state-stopping = Shutting down
state-connecting = Connecting

open-vm = Open { $name }
vm-actions = Actions for { $name }

action-start = Start
action-pause = Pause
action-resume = Resume
action-shutdown = Shut down
action-force-off = Force off

confirm-shutdown-title = Shut down { $name }?
confirm-shutdown-body = The computer is asked to shut down. Programs in it may ask to save their work first.
confirm-force-off-title = Force { $name } off?
confirm-force-off-body = The computer stops at once, like pulling the plug. Anything not saved in it is lost.

error-already-running = { $name } is already running
error-not-running = { $name } is not running
error-not-paused = { $name } is not paused
error-busy = { $name } is busy { $state ->
        [starting] starting
       *[stopping] shutting down
    }; try again in a moment
error-unknown-vm = { $name } is no longer known to the hypervisor
error-unavailable = The hypervisor is unavailable: { $reason }
error-refused = The hypervisor refused to { $action ->
        [start] start
        [pause] pause
        [resume] resume
        [shutdown] shut down
       *[force-off] force off
    } { $name }: { $reason }

media-title = Media
media-recent = Recently added
media-continue = Continue watching
media-empty = No media yet. Put videos, music and photos in your Videos, Music and Pictures folders, or name other folders under [media] in the configuration file: they appear here by themselves.
media-search = Search
media-sort = Sort
media-videos = Videos
media-music = Music
media-photos = Photos
media-albums = Albums
media-artists = Artists
media-songs = Songs
media-sort-name = Name
media-sort-added = Recently added
media-sort-date = Date
# A heading over the photos of one month, newest first: "December 2026".
media-month = { $month ->
     [1] January
     [2] February
     [3] March
     [4] April
     [5] May
     [6] June
     [7] July
     [8] August
     [9] September
     [10] October
     [11] November
    *[12] December
  } { $year }
media-count-videos = { $count ->
        [0] No videos yet
        [one] { $count } video
       *[other] { $count } videos
    }
media-count-songs = { $count ->
        [0] No music yet
        [one] { $count } song
       *[other] { $count } songs
    }
media-count-photos = { $count ->
        [0] No photos yet
        [one] { $count } photo
       *[other] { $count } photos
    }
media-count-tracks = { $count ->
        [one] { $count } track
       *[other] { $count } tracks
    }
media-scanning = Looking for new media…
media-reading = Reading { $left ->
        [one] { $left } file
       *[other] { $left } files
    }…
media-failed = { $count ->
        [one] { $count } file could not be read
       *[other] { $count } files could not be read
    }
media-no-match = Nothing matches “{ $search }”
media-section-empty = Nothing here yet. Media you add to your folders appear here by themselves.
media-unknown-artist = Unknown artist
media-details-length = Length: { $length }
media-details-picture = Picture: { $width } × { $height }
media-details-format = Format: { $format }
media-details-taken = Taken: { $date }
media-details-camera = Camera: { $camera }
media-details-album = Album: { $album }
media-details-artist = Artist: { $artist }
media-details-file = File: { $path }
media-action-play = Play
media-action-play-next = Play next
media-action-add-to-queue = Add to queue
media-queued-next = Plays next: { $title }
media-queued = Added to the queue: { $title }

media-problem = The media library has a problem: { $reason }

## The player
player-play = Play
player-pause = Pause
player-next = Next
player-previous = Previous
player-back-10 = Back 10 seconds
player-forward-10 = Forward 10 seconds
player-position = Position
player-audio = Audio track
player-subtitles = Subtitles
player-subtitles-off = Off
player-shuffle = Shuffle
player-repeat-off = Repeat: off
player-repeat-all = Repeat: all
player-repeat-one = Repeat: this one
player-volume = Volume
player-close = Close the player
player-open = Open the player
player-opening = Opening…
player-buffering = Loading { $percent } %
player-track = Track { $number }
player-track-external = { $name } (from a file)
player-error-title = “{ $name }” cannot be played
player-error-codec = Hearth has no decoder for this file’s format ({ $codec }).
player-error-broken = The file is damaged or is not a media file.
player-error-unreadable = The file cannot be read. It may have been moved or deleted.
player-up-next = Up next: { $title }
player-queue = Queue
player-queue-close = Close the queue
player-now-playing = Playing
player-queue-remove = Remove { $title } from the queue
player-queue-summary = { $count ->
        [0] Nothing follows
        [one] { $count } song follows
       *[other] { $count } songs follow
    }
player-error-output = The sound or picture output failed.
player-error-process = Hearth’s player stopped on this file: { $reason }.
player-process-memory = it needed more than the player’s { $mib } MiB of memory
player-process-crashed = its decoder crashed ({ $how })
player-process-stalled = it stopped responding and was stopped after { $seconds } s
player-process-quit = the player quit (exit code { $code })
player-process-lost = the player was lost
player-crash-segmentation-fault = a segmentation fault
player-crash-bus-error = a bus error
player-crash-aborted = it aborted
player-crash-illegal-instruction = an illegal instruction
player-crash-arithmetic-error = an arithmetic error
player-crash-killed = it was killed
player-crash-signal = signal { $number }
player-seek-feedback = { $seconds } s
settings-player = Player
settings-swipe-seek = Swipe sideways on a video to seek
settings-double-tap-seek = Double-tap a video's side to jump 10 s
photo-next = Next photo
photo-previous = Previous photo
photo-slideshow = Slideshow
photo-close = Close the photo
photo-error = This photo cannot be shown: { $reason }

## VM images: the updates row, the tile's word, the detail sheet
downloads-title = Updates
downloads-history = History
action-image = Update and versions
download-title = { $vm }: version { $version }
download-title-unknown = { $vm }: update
download-service-gone = Waiting for the update service
download-checking = Checking for a new version
download-fetching = Downloading · { $percent } %
download-verifying = Checking the download
download-paused = Paused at { $percent } %
download-held-metered = Paused on a metered connection
download-held-battery = Paused while the battery is low
download-failed = Failed: { $reason }
download-ready = Ready: used at the next start
download-idle = Up to date
download-bytes = { $done } of { $total }
download-eta = about { $time } left
download-ready-detail = { $size } image, verified
download-rate = { $rate }/s
download-saved = { $saved } saved by downloading only the changes
download-reused = { $reused } already on this device
download-from-peers = { $peers } of it from devices on this network
download-peer-waste = { $wasted } from devices nearby failed its check and was thrown away
download-in-use = In use: version { $version }
download-kept = Kept for going back: version { $version }
download-rolled-back = Version { $version } was rolled back: { $reason }
download-pause = Pause
download-resume = Resume
download-anyway = Download anyway
download-cancel = Cancel download
download-cancel-title = Cancel this download?
download-cancel-body = What has been downloaded is thrown away. It starts again when you check for updates.
download-retry = Try again
download-check = Check for updates
download-restart = Restart into version { $version }
download-start-new = Start version { $version }
download-restart-title = Switch { $vm } to version { $version }?
download-restart-body = { $vm } shuts down and starts again on version { $version }. Save your work first. Version { $current } is kept, so you can go back.
download-start-new-body = { $vm } starts on version { $version }. Version { $current } is kept, so you can go back.
download-restart-body-first = { $vm } shuts down and starts again on version { $version }. Save your work first.
download-start-new-body-first = { $vm } starts on version { $version }.
download-rollback-left = Go back to version { $version } as you left it
download-rollback-shipped = Go back to version { $version } as shipped
download-rollback-title = Go back to version { $version }?
download-rollback-left-body = { $vm } shuts down and starts again on version { $version }, with what was changed under it as you left it. Version { $current } is removed from this device and not downloaded again.
download-rollback-shipped-body = { $vm } shuts down and starts again on version { $version } as IT shipped it: what was changed on its system disk under that version is discarded. Version { $current } is removed from this device and not downloaded again.
download-reset = Reset version { $version } as shipped
download-reset-title = Reset { $vm } to version { $version } as shipped?
download-reset-body = { $vm } shuts down and starts again on version { $version } as IT shipped it: programs, settings and files written to its system disk since then are discarded. Save your work first.
download-data-disk-stays = Files on its data disk stay as they are.
download-history-ready = Version { $version } downloaded · { $when }
download-history-activated = Version { $version } put in use · { $when }
download-history-rolled-back = Version { $version } rolled back · { $when } · { $reason }
download-history-reset = Version { $version } reset as shipped · { $when }
badge-update-percent = Update { $percent } %
badge-update-ready = Update ready
badge-update-failed = Update failed
badge-rolled-back = Rolled back
duration-seconds = { $n } s
duration-minutes = { $n } min
duration-hours = { $h } h { $m } min
rollback-reason-user = Rolled back by the user
rollback-reason-crashed = Version { $version } crashed { $seconds } s after it started
rollback-reason-stopped = Version { $version } shut off by itself { $seconds } s after it started
rolled-back-automatically = { $vm } is back on version { $version }: { $reason }
image-switch-failed = { $vm } could not change versions: { $reason }
download-problem = The update service has a problem: { $reason }

## Kiosk mode
kiosk-pin-title = Enter the admin PIN to leave kiosk mode
kiosk-pin-entered = PIN digits entered
kiosk-pin-digit = PIN digit
kiosk-pin-erase = Erase the last digit
kiosk-pin-unlock = Unlock
kiosk-pin-checking = Checking…
kiosk-pin-wrong = Wrong PIN
kiosk-pin-wait = Too many wrong PINs. Try again in { $seconds } s
kiosk-no-pin = No admin PIN is set: kiosk mode can only be left by changing the configuration
kiosk-left = Kiosk mode is off until Hearth restarts

# The on-screen keyboard.
osk-title = On-screen keyboard
vm-keyboard = Keyboard
osk-shift = Shift
osk-backspace = Backspace
osk-enter = Enter
osk-space = Space
osk-symbols = Numbers and symbols
osk-letters = Letters
osk-hide = Hide the keyboard
osk-layout = Layout
