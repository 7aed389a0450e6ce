# Teksty Hearth w języku polskim. Każdy widoczny tekst pochodzi stąd.

app-name = Hearth
home-title = Twoje komputery
open-settings = Ustawienia
settings-title = Ustawienia
language-title = Język
back = Wstecz
go-home = Ekran główny
actions = Działania
cancel = Anuluj
close = Zamknij
dismiss = Ukryj
no-vms = Nie skonfigurowano żadnych komputerów. Można je dodać w pliku konfiguracyjnym.
choose-console = Wybierz ekran
gestures-hint = Aby użyć komputera, wystarczy go dotknąć. Przesunięcie od bocznej krawędzi przełącza komputer, a przesunięcie w górę od dolnej krawędzi wraca tutaj. Klawiatura: Ctrl+Alt+Lewo/Prawo lub Ctrl+Alt+1…9 – przełączanie, Ctrl+Alt+Góra – ekran główny.

vm-off-hint = Ten komputer jest wyłączony
vm-paused-hint = Wstrzymany
vm-starting-hint = Uruchamianie…
vm-stopping-hint = Wyłączanie…
vm-crashed-hint = Ten komputer nieoczekiwanie przestał działać
start = Uruchom
resume = Wznów

# { $count }: ile komputerów działa; { $total }: ile jest ich łącznie.
connecting-summary = Łączenie z komputerami…
running-summary =
    { $count ->
        [0] Nic nie działa
        [one] { $count } komputer działa
        [few] { $count } komputery działają
       *[many] { $count } komputerów działa
    }

hypervisor-connected = { $name }
hypervisor-unavailable = { $name } – niedostępny

role-work = Służbowy
role-personal = Prywatny
role-other = Inny

state-running = Działa
state-paused = Wstrzymany
state-shut-off = Wyłączony
state-crashed = Awaria
state-starting = Uruchamianie
state-stopping = Wyłączanie
state-connecting = Łączenie

open-vm = Otwórz { $name }
vm-actions = Działania: { $name }

action-start = Uruchom
action-pause = Wstrzymaj
action-resume = Wznów
action-shutdown = Wyłącz
action-force-off = Wymuś wyłączenie

confirm-shutdown-title = Wyłączyć komputer { $name }?
confirm-shutdown-body = Komputer otrzyma polecenie wyłączenia. Działające w nim programy mogą najpierw poprosić o zapisanie pracy.
confirm-force-off-title = Wymusić wyłączenie komputera { $name }?
confirm-force-off-body = Komputer zostanie natychmiast zatrzymany, jak po wyciągnięciu wtyczki. Wszystko, co nie zostało w nim zapisane, zostanie utracone.

error-already-running = Komputer { $name } już działa
error-not-running = Komputer { $name } nie działa
error-not-paused = Komputer { $name } nie jest wstrzymany
error-busy = Komputer { $name } jest właśnie { $state ->
        [starting] uruchamiany
       *[stopping] wyłączany
    }; proszę spróbować ponownie za chwilę
error-unknown-vm = Hypervisor nie zna już komputera { $name }
error-unavailable = Hypervisor jest niedostępny: { $reason }
error-refused = Hypervisor odmówił { $action ->
        [start] uruchomienia
        [pause] wstrzymania
        [resume] wznowienia
        [shutdown] wyłączenia
       *[force-off] wymuszonego wyłączenia
    } komputera { $name }: { $reason }

media-title = Multimedia
media-recent = Ostatnio dodane
media-continue = Oglądaj dalej
media-empty = Nie ma jeszcze multimediów. Wystarczy umieścić filmy, muzykę i zdjęcia w folderach Wideo, Muzyka i Obrazy albo podać inne foldery w sekcji [media] pliku konfiguracji – pojawią się tu same.
media-search = Szukaj
media-sort = Sortuj
media-videos = Filmy
media-music = Muzyka
media-photos = Zdjęcia
media-albums = Albumy
media-artists = Wykonawcy
media-songs = Utwory
media-sort-name = Nazwa
media-sort-added = Ostatnio dodane
media-sort-date = Data
# Nagłówek nad zdjęciami z jednego miesiąca: „Grudzień 2026”.
media-month = { $month ->
     [1] Styczeń
     [2] Luty
     [3] Marzec
     [4] Kwiecień
     [5] Maj
     [6] Czerwiec
     [7] Lipiec
     [8] Sierpień
     [9] Wrzesień
     [10] Październik
     [11] Listopad
    *[12] Grudzień
  } { $year }
media-count-videos = { $count ->
        [0] Nie ma jeszcze filmów
        [one] { $count } film
        [few] { $count } filmy
       *[other] { $count } filmów
    }
media-count-songs = { $count ->
        [0] Nie ma jeszcze muzyki
        [one] { $count } utwór
        [few] { $count } utwory
       *[other] { $count } utworów
    }
media-count-photos = { $count ->
        [0] Nie ma jeszcze zdjęć
        [one] { $count } zdjęcie
        [few] { $count } zdjęcia
       *[other] { $count } zdjęć
    }
media-count-tracks = { $count ->
        [one] { $count } utwór
        [few] { $count } utwory
       *[other] { $count } utworów
    }
media-scanning = Szukanie nowych multimediów…
media-reading = { $left ->
        [one] Odczyt { $left } pliku…
       *[other] Odczyt { $left } plików…
    }
media-failed = { $count ->
        [one] Nie udało się odczytać { $count } pliku
       *[other] Nie udało się odczytać { $count } plików
    }
media-no-match = Nic nie pasuje do „{ $search }”
media-section-empty = Nic tu jeszcze nie ma. Multimedia dodane do folderów pojawią się tu same.
media-unknown-artist = Nieznany wykonawca
media-details-length = Czas trwania: { $length }
media-details-picture = Obraz: { $width } × { $height }
media-details-format = Format: { $format }
media-details-taken = Zrobione: { $date }
media-details-camera = Aparat: { $camera }
media-details-album = Album: { $album }
media-details-artist = Wykonawca: { $artist }
media-details-file = Plik: { $path }
media-action-play = Odtwórz
media-action-play-next = Odtwórz jako następne
media-action-add-to-queue = Dodaj do kolejki
media-queued-next = Następne: { $title }
media-queued = Dodano do kolejki: { $title }

media-problem = Biblioteka multimediów ma problem: { $reason }

## The player
player-play = Odtwórz
player-pause = Wstrzymaj
player-next = Następny
player-previous = Poprzedni
player-back-10 = 10 sekund wstecz
player-forward-10 = 10 sekund naprzód
player-position = Pozycja
player-audio = Ścieżka dźwiękowa
player-subtitles = Napisy
player-subtitles-off = Wyłączone
player-shuffle = Losowo
player-repeat-off = Powtarzanie: wyłączone
player-repeat-all = Powtarzanie: wszystkie
player-repeat-one = Powtarzanie: ten utwór
player-volume = Głośność
player-close = Zamknij odtwarzacz
player-open = Otwórz odtwarzacz
player-opening = Otwieranie…
player-buffering = Wczytywanie { $percent } %
player-track = Ścieżka { $number }
player-track-external = { $name } (z pliku)
player-error-title = Nie można odtworzyć „{ $name }”
player-error-codec = Hearth nie ma dekodera dla formatu tego pliku ({ $codec }).
player-error-broken = Plik jest uszkodzony albo nie jest plikiem multimedialnym.
player-error-unreadable = Nie można odczytać pliku. Mógł zostać przeniesiony lub usunięty.
player-up-next = Następne: { $title }
player-queue = Kolejka
player-queue-close = Zamknij kolejkę
player-now-playing = Teraz gra
player-queue-remove = Usuń { $title } z kolejki
player-queue-summary = { $count ->
        [0] Nic więcej nie czeka
        [one] Czeka { $count } utwór
        [few] Czekają { $count } utwory
       *[other] Czeka { $count } utworów
    }
player-error-output = Wyjście dźwięku lub obrazu zawiodło.
player-error-process = Odtwarzacz Hearth zatrzymał się na tym pliku: { $reason }.
player-process-memory = potrzebował więcej niż { $mib } MiB pamięci odtwarzacza
player-process-crashed = jego dekoder uległ awarii ({ $how })
player-process-stalled = przestał odpowiadać i został zatrzymany po { $seconds } s
player-process-quit = odtwarzacz zakończył pracę (kod wyjścia { $code })
player-process-lost = utracono odtwarzacz
player-crash-segmentation-fault = błąd segmentacji
player-crash-bus-error = błąd magistrali
player-crash-aborted = przerwał działanie
player-crash-illegal-instruction = niedozwolona instrukcja
player-crash-arithmetic-error = błąd arytmetyczny
player-crash-killed = został zabity
player-crash-signal = sygnał { $number }
player-seek-feedback = { $seconds } s
settings-player = Odtwarzacz
settings-swipe-seek = Przesuń w bok na filmie, aby przewinąć
settings-double-tap-seek = Dwukrotne stuknięcie z boku filmu przeskakuje 10 s
photo-next = Następne zdjęcie
photo-previous = Poprzednie zdjęcie
photo-slideshow = Pokaz slajdów
photo-close = Zamknij zdjęcie
photo-error = Nie można wyświetlić tego zdjęcia: { $reason }

## VM images: the updates row, the tile's word, the detail sheet
downloads-title = Aktualizacje
downloads-history = Historia
action-image = Aktualizacja i wersje
download-title = { $vm }: wersja { $version }
download-title-unknown = { $vm }: aktualizacja
download-service-gone = Oczekiwanie na usługę aktualizacji
download-checking = Sprawdzanie nowej wersji
download-fetching = Pobieranie · { $percent } %
download-verifying = Sprawdzanie pobranych danych
download-paused = Wstrzymano przy { $percent } %
download-held-metered = Wstrzymano: połączenie taryfowe
download-held-battery = Wstrzymano: niski poziom baterii
download-failed = Błąd: { $reason }
download-ready = Gotowe na następne uruchomienie
download-idle = Aktualne
download-bytes = { $done } z { $total }
download-eta = pozostało około { $time }
download-ready-detail = Obraz { $size }, sprawdzony
download-rate = { $rate }/s
download-saved = Zaoszczędzono { $saved } dzięki pobieraniu tylko zmian
download-reused = { $reused } już na tym urządzeniu
download-from-peers = { $peers } z tego od urządzeń w tej sieci
download-peer-waste = { $wasted } od urządzeń w pobliżu nie przeszło weryfikacji i zostało odrzucone
download-in-use = W użyciu: wersja { $version }
download-kept = Zachowana do powrotu: wersja { $version }
download-rolled-back = Wersja { $version } została wycofana: { $reason }
download-pause = Wstrzymaj
download-resume = Wznów
download-anyway = Pobierz mimo to
download-cancel = Anuluj pobieranie
download-cancel-title = Anulować to pobieranie?
download-cancel-body = Pobrane dane zostaną usunięte. Pobieranie zacznie się od nowa, gdy sprawdzisz aktualizacje.
download-retry = Spróbuj ponownie
download-check = Sprawdź aktualizacje
download-restart = Uruchom ponownie w wersji { $version }
download-start-new = Uruchom wersję { $version }
download-restart-title = Przełączyć { $vm } na wersję { $version }?
download-restart-body = { $vm } zostanie wyłączony i uruchomiony ponownie w wersji { $version }. Najpierw zapisz swoją pracę. Wersja { $current } zostanie zachowana, więc możesz do niej wrócić.
download-start-new-body = { $vm } uruchomi się w wersji { $version }. Wersja { $current } zostanie zachowana, więc możesz do niej wrócić.
download-restart-body-first = { $vm } zostanie wyłączony i uruchomiony ponownie w wersji { $version }. Najpierw zapisz swoją pracę.
download-start-new-body-first = { $vm } uruchomi się w wersji { $version }.
download-rollback-left = Wróć do wersji { $version } w stanie, w jakim ją zostawiono
download-rollback-shipped = Wróć do wersji { $version } w stanie fabrycznym
download-rollback-title = Wrócić do wersji { $version }?
download-rollback-left-body = { $vm } zostanie wyłączony i uruchomiony ponownie w wersji { $version }, ze wszystkimi zmianami wprowadzonymi w niej. Wersja { $current } zostanie usunięta z tego urządzenia i nie będzie ponownie pobierana.
download-rollback-shipped-body = { $vm } zostanie wyłączony i uruchomiony ponownie w wersji { $version } w stanie dostarczonym przez dział IT: zmiany na dysku systemowym wprowadzone w tej wersji zostaną odrzucone. Wersja { $current } zostanie usunięta z tego urządzenia i nie będzie ponownie pobierana.
download-reset = Przywróć wersję { $version } do stanu fabrycznego
download-reset-title = Przywrócić { $vm } do wersji { $version } w stanie fabrycznym?
download-reset-body = { $vm } zostanie wyłączony i uruchomiony ponownie w wersji { $version } w stanie dostarczonym przez dział IT: programy, ustawienia i pliki zapisane od tego czasu na dysku systemowym zostaną odrzucone. Najpierw zapisz swoją pracę.
download-data-disk-stays = Pliki na dysku danych pozostaną bez zmian.
download-history-ready = Pobrano wersję { $version } · { $when }
download-history-activated = Wersja { $version } w użyciu · { $when }
download-history-rolled-back = Wycofano wersję { $version } · { $when } · { $reason }
download-history-reset = Przywrócono wersję { $version } do stanu fabrycznego · { $when }
badge-update-percent = Aktualizacja { $percent } %
badge-update-ready = Aktualizacja gotowa
badge-update-failed = Błąd aktualizacji
badge-rolled-back = Wycofano
duration-seconds = { $n } s
duration-minutes = { $n } min
duration-hours = { $h } godz. { $m } min
rollback-reason-user = Wycofane przez użytkownika
rollback-reason-crashed = Wersja { $version } uległa awarii { $seconds } s po uruchomieniu
rollback-reason-stopped = Wersja { $version } wyłączyła się sama { $seconds } s po uruchomieniu
rolled-back-automatically = { $vm } znów działa w wersji { $version }: { $reason }
image-switch-failed = { $vm } nie może zmienić wersji: { $reason }
download-problem = Usługa aktualizacji ma problem: { $reason }

## Kiosk mode
kiosk-pin-title = Wpisz PIN administratora, aby wyjść z trybu kiosku
kiosk-pin-entered = Wpisane cyfry PIN-u
kiosk-pin-digit = Cyfra PIN-u
kiosk-pin-erase = Usuń ostatnią cyfrę
kiosk-pin-unlock = Odblokuj
kiosk-pin-checking = Sprawdzanie…
kiosk-pin-wrong = Błędny PIN
kiosk-pin-wait = Za dużo błędnych PIN-ów. Spróbuj ponownie za { $seconds } s
kiosk-no-pin = Nie ustawiono PIN-u administratora: z trybu kiosku można wyjść tylko przez zmianę konfiguracji
kiosk-left = Tryb kiosku jest wyłączony do ponownego uruchomienia Hearth

# Klawiatura ekranowa.
osk-title = Klawiatura ekranowa
vm-keyboard = Klawiatura
osk-shift = Shift
osk-backspace = Backspace
osk-enter = Enter
osk-space = Spacja
osk-symbols = Cyfry i symbole
osk-letters = Litery
osk-hide = Ukryj klawiaturę
osk-layout = Układ klawiatury
