# Hearths Texte auf Deutsch. Jeder sichtbare Text stammt von hier.

app-name = Hearth
home-title = Ihre Computer
open-settings = Einstellungen
settings-title = Einstellungen
language-title = Sprache
back = Zurück
go-home = Startseite
actions = Aktionen
cancel = Abbrechen
close = Schließen
dismiss = Ausblenden
no-vms = Es sind keine Computer eingerichtet. Fügen Sie sie in der Konfigurationsdatei hinzu.
choose-console = Bildschirm wählen
gestures-hint = Tippen Sie auf einen Computer, um ihn zu verwenden. Wischen Sie vom seitlichen Rand herein, um zu wechseln, und vom unteren Rand nach oben, um hierher zurückzukehren. Tastatur: Strg+Alt+Links/Rechts oder Strg+Alt+1…9 zum Wechseln, Strg+Alt+Oben für die Startseite.

vm-off-hint = Dieser Computer ist ausgeschaltet
vm-paused-hint = Pausiert
vm-starting-hint = Wird gestartet…
vm-stopping-hint = Wird heruntergefahren…
vm-crashed-hint = Dieser Computer wurde unerwartet beendet
start = Starten
resume = Fortsetzen

# { $count }: wie viele Computer laufen; { $total }: wie viele es insgesamt gibt.
connecting-summary = Verbindung zu Ihren Computern wird hergestellt…
running-summary =
    { $count ->
        [0] Nichts läuft
        [one] { $count } Computer läuft
       *[other] { $count } Computer laufen
    }

hypervisor-connected = { $name }
hypervisor-unavailable = { $name } nicht verfügbar

role-work = Arbeit
role-personal = Privat
role-other = Sonstige

state-running = Läuft
state-paused = Pausiert
state-shut-off = Aus
state-crashed = Abgestürzt
state-starting = Startet
state-stopping = Fährt herunter
state-connecting = Verbindet

open-vm = { $name } öffnen
vm-actions = Aktionen für { $name }

action-start = Starten
action-pause = Pausieren
action-resume = Fortsetzen
action-shutdown = Herunterfahren
action-force-off = Ausschalten erzwingen

confirm-shutdown-title = { $name } herunterfahren?
confirm-shutdown-body = Der Computer wird aufgefordert, herunterzufahren. Programme darauf fragen eventuell zuerst, ob Sie Ihre Arbeit speichern möchten.
confirm-force-off-title = Ausschalten von { $name } erzwingen?
confirm-force-off-body = Der Computer wird sofort ausgeschaltet, als würde man den Stecker ziehen. Alles, was darauf nicht gespeichert ist, geht verloren.

error-already-running = { $name } läuft bereits
error-not-running = { $name } läuft nicht
error-not-paused = { $name } ist nicht pausiert
error-busy = { $name } { $state ->
        [starting] wird gerade gestartet
       *[stopping] wird gerade heruntergefahren
    }; versuchen Sie es gleich noch einmal
error-unknown-vm = { $name } ist dem Hypervisor nicht mehr bekannt
error-unavailable = Der Hypervisor ist nicht verfügbar: { $reason }
error-refused = Der Hypervisor hat es abgelehnt, { $name } { $action ->
        [start] zu starten
        [pause] zu pausieren
        [resume] fortzusetzen
        [shutdown] herunterzufahren
       *[force-off] zwangsweise auszuschalten
    }: { $reason }

media-title = Medien
media-recent = Neu hinzugefügt
media-continue = Weiterschauen
media-empty = Noch keine Medien. Legen Sie Videos, Musik und Fotos in Ihre Ordner Videos, Musik und Bilder, oder nennen Sie andere Ordner unter [media] in der Konfigurationsdatei: Sie erscheinen hier von selbst.
media-search = Suchen
media-sort = Sortieren
media-videos = Videos
media-music = Musik
media-photos = Fotos
media-albums = Alben
media-artists = Interpreten
media-songs = Titel
media-sort-name = Name
media-sort-added = Neu hinzugefügt
media-sort-date = Datum
# Überschrift über den Fotos eines Monats: „Dezember 2026“.
media-month = { $month ->
     [1] Januar
     [2] Februar
     [3] März
     [4] April
     [5] Mai
     [6] Juni
     [7] Juli
     [8] August
     [9] September
     [10] Oktober
     [11] November
    *[12] Dezember
  } { $year }
media-count-videos = { $count ->
        [0] Noch keine Videos
        [one] { $count } Video
       *[other] { $count } Videos
    }
media-count-songs = { $count ->
        [0] Noch keine Musik
        [one] { $count } Titel
       *[other] { $count } Titel
    }
media-count-photos = { $count ->
        [0] Noch keine Fotos
        [one] { $count } Foto
       *[other] { $count } Fotos
    }
media-count-tracks = { $count ->
        [one] { $count } Titel
       *[other] { $count } Titel
    }
media-scanning = Suche nach neuen Medien…
media-reading = { $left ->
        [one] { $left } Datei wird gelesen…
       *[other] { $left } Dateien werden gelesen…
    }
media-failed = { $count ->
        [one] { $count } Datei konnte nicht gelesen werden
       *[other] { $count } Dateien konnten nicht gelesen werden
    }
media-no-match = Nichts passt zu „{ $search }“
media-section-empty = Hier ist noch nichts. Medien, die Sie in Ihre Ordner legen, erscheinen hier von selbst.
media-unknown-artist = Unbekannter Interpret
media-details-length = Dauer: { $length }
media-details-picture = Bild: { $width } × { $height }
media-details-format = Format: { $format }
media-details-taken = Aufgenommen: { $date }
media-details-camera = Kamera: { $camera }
media-details-album = Album: { $album }
media-details-artist = Interpret: { $artist }
media-details-file = Datei: { $path }
media-action-play = Abspielen
media-action-play-next = Als Nächstes abspielen
media-action-add-to-queue = Zur Warteschlange hinzufügen
media-queued-next = Als Nächstes: { $title }
media-queued = Zur Warteschlange hinzugefügt: { $title }

media-problem = Die Medienbibliothek hat ein Problem: { $reason }

## The player
player-play = Abspielen
player-pause = Pause
player-next = Weiter
player-previous = Zurück
player-back-10 = 10 Sekunden zurück
player-forward-10 = 10 Sekunden vor
player-position = Position
player-audio = Tonspur
player-subtitles = Untertitel
player-subtitles-off = Aus
player-shuffle = Zufällig
player-repeat-off = Wiederholen: aus
player-repeat-all = Wiederholen: alle
player-repeat-one = Wiederholen: dieses
player-volume = Lautstärke
player-close = Player schließen
player-open = Player öffnen
player-opening = Wird geöffnet …
player-buffering = Lädt { $percent } %
player-track = Spur { $number }
player-track-external = { $name } (aus Datei)
player-error-title = „{ $name }“ kann nicht abgespielt werden
player-error-codec = Hearth hat keinen Decoder für das Format dieser Datei ({ $codec }).
player-error-broken = Die Datei ist beschädigt oder keine Mediendatei.
player-error-unreadable = Die Datei kann nicht gelesen werden. Vielleicht wurde sie verschoben oder gelöscht.
player-up-next = Als Nächstes: { $title }
player-queue = Warteschlange
player-queue-close = Warteschlange schließen
player-now-playing = Läuft
player-queue-remove = { $title } aus der Warteschlange entfernen
player-queue-summary = { $count ->
        [0] Danach kommt nichts
        [one] { $count } Titel folgt
       *[other] { $count } Titel folgen
    }
player-error-output = Die Ton- oder Bildausgabe ist fehlgeschlagen.
player-error-process = Der Player von Hearth wurde bei dieser Datei beendet: { $reason }.
player-process-memory = er brauchte mehr als die { $mib } MiB Speicher des Players
player-process-crashed = sein Decoder ist abgestürzt ({ $how })
player-process-stalled = er reagierte nicht mehr und wurde nach { $seconds } s beendet
player-process-quit = der Player hat sich beendet (Exit-Code { $code })
player-process-lost = der Player ging verloren
player-crash-segmentation-fault = ein Speicherzugriffsfehler
player-crash-bus-error = ein Busfehler
player-crash-aborted = er hat abgebrochen
player-crash-illegal-instruction = ein unzulässiger Befehl
player-crash-arithmetic-error = ein Rechenfehler
player-crash-killed = er wurde abgebrochen
player-crash-signal = Signal { $number }
player-seek-feedback = { $seconds } s
settings-player = Player
settings-swipe-seek = Auf einem Video seitlich wischen zum Spulen
settings-double-tap-seek = Doppeltippen am Videorand springt 10 s
photo-next = Nächstes Foto
photo-previous = Vorheriges Foto
photo-slideshow = Diashow
photo-close = Foto schließen
photo-error = Dieses Foto kann nicht angezeigt werden: { $reason }

## VM images: the updates row, the tile's word, the detail sheet
downloads-title = Updates
downloads-history = Verlauf
action-image = Update und Versionen
download-title = { $vm }: Version { $version }
download-title-unknown = { $vm }: Update
download-service-gone = Warte auf den Update-Dienst
download-checking = Suche nach einer neuen Version
download-fetching = Wird geladen · { $percent } %
download-verifying = Download wird geprüft
download-paused = Angehalten bei { $percent } %
download-held-metered = Angehalten: getaktete Verbindung
download-held-battery = Angehalten: Akku schwach
download-failed = Fehlgeschlagen: { $reason }
download-ready = Bereit für den nächsten Start
download-idle = Aktuell
download-bytes = { $done } von { $total }
download-eta = noch etwa { $time }
download-ready-detail = Abbild mit { $size }, geprüft
download-rate = { $rate }/s
download-saved = { $saved } gespart, weil nur die Änderungen geladen werden
download-reused = { $reused } schon auf diesem Gerät
download-from-peers = { $peers } davon von Geräten in diesem Netzwerk
download-peer-waste = { $wasted } von Geräten in der Nähe bestand die Prüfung nicht und wurde verworfen
download-in-use = In Verwendung: Version { $version }
download-kept = Zum Zurückkehren aufbewahrt: Version { $version }
download-rolled-back = Version { $version } wurde zurückgenommen: { $reason }
download-pause = Anhalten
download-resume = Fortsetzen
download-anyway = Trotzdem laden
download-cancel = Download abbrechen
download-cancel-title = Diesen Download abbrechen?
download-cancel-body = Bereits Geladenes wird verworfen. Der Download beginnt neu, wenn Sie nach Updates suchen.
download-retry = Erneut versuchen
download-check = Nach Updates suchen
download-restart = Mit Version { $version } neu starten
download-start-new = Version { $version } starten
download-restart-title = { $vm } auf Version { $version } umstellen?
download-restart-body = { $vm } wird heruntergefahren und mit Version { $version } neu gestartet. Speichern Sie vorher Ihre Arbeit. Version { $current } bleibt erhalten, Sie können zurückkehren.
download-start-new-body = { $vm } startet mit Version { $version }. Version { $current } bleibt erhalten, Sie können zurückkehren.
download-restart-body-first = { $vm } wird heruntergefahren und mit Version { $version } neu gestartet. Speichern Sie vorher Ihre Arbeit.
download-start-new-body-first = { $vm } startet mit Version { $version }.
download-rollback-left = Zurück zu Version { $version }, wie verlassen
download-rollback-shipped = Zurück zu Version { $version } im Auslieferungszustand
download-rollback-title = Zurück zu Version { $version }?
download-rollback-left-body = { $vm } wird heruntergefahren und mit Version { $version } neu gestartet, mit allem, was darin geändert wurde. Version { $current } wird von diesem Gerät entfernt und nicht erneut geladen.
download-rollback-shipped-body = { $vm } wird heruntergefahren und mit Version { $version } so neu gestartet, wie die IT sie ausgeliefert hat: Was unter dieser Version auf der Systemfestplatte geändert wurde, wird verworfen. Version { $current } wird von diesem Gerät entfernt und nicht erneut geladen.
download-reset = Version { $version } zurücksetzen
download-reset-title = { $vm } auf Version { $version } im Auslieferungszustand zurücksetzen?
download-reset-body = { $vm } wird heruntergefahren und mit Version { $version } so neu gestartet, wie die IT sie ausgeliefert hat: Programme, Einstellungen und Dateien, die seitdem auf die Systemfestplatte geschrieben wurden, werden verworfen. Sichern Sie vorher Ihre Arbeit.
download-data-disk-stays = Dateien auf der Datenfestplatte bleiben erhalten.
download-history-ready = Version { $version } geladen · { $when }
download-history-activated = Version { $version } in Verwendung genommen · { $when }
download-history-rolled-back = Version { $version } zurückgenommen · { $when } · { $reason }
download-history-reset = Version { $version } in den Auslieferungszustand zurückgesetzt · { $when }
badge-update-percent = Update { $percent } %
badge-update-ready = Update bereit
badge-update-failed = Update fehlgeschlagen
badge-rolled-back = Zurückgenommen
duration-seconds = { $n } s
duration-minutes = { $n } Min.
duration-hours = { $h } Std. { $m } Min.
rollback-reason-user = Vom Benutzer zurückgenommen
rollback-reason-crashed = Version { $version } ist { $seconds } s nach dem Start abgestürzt
rollback-reason-stopped = Version { $version } hat sich { $seconds } s nach dem Start selbst ausgeschaltet
rolled-back-automatically = { $vm } läuft wieder mit Version { $version }: { $reason }
image-switch-failed = { $vm } konnte die Version nicht wechseln: { $reason }
download-problem = Der Update-Dienst hat ein Problem: { $reason }

## Kiosk mode
kiosk-pin-title = Admin-PIN eingeben, um den Kioskmodus zu verlassen
kiosk-pin-entered = Eingegebene PIN-Ziffern
kiosk-pin-digit = PIN-Ziffer
kiosk-pin-erase = Letzte Ziffer löschen
kiosk-pin-unlock = Entsperren
kiosk-pin-checking = Wird geprüft …
kiosk-pin-wrong = Falsche PIN
kiosk-pin-wait = Zu viele falsche PINs. Erneut versuchen in { $seconds } s
kiosk-no-pin = Keine Admin-PIN festgelegt: Der Kioskmodus lässt sich nur über die Konfiguration beenden
kiosk-left = Der Kioskmodus ist bis zum Neustart von Hearth aus

# Die Bildschirmtastatur.
osk-title = Bildschirmtastatur
vm-keyboard = Tastatur
osk-shift = Umschalt
osk-backspace = Rücktaste
osk-enter = Eingabe
osk-space = Leertaste
osk-symbols = Zahlen und Zeichen
osk-letters = Buchstaben
osk-hide = Tastatur ausblenden
osk-layout = Tastaturbelegung
