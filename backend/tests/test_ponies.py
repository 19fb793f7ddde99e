import pytest
from flying_stable.ponies.models import Pony
from flying_stable.ponies.seed import STARTER_ROSTER, seed_starter_roster

pytestmark = pytest.mark.django_db


def test_list_shows_every_pony(client):
    Pony.objects.create(name="Nimbus", personality_notes="Loves <b>storms</b>")
    page = client.get("/")
    assert page.status_code == 200
    assert b"Nimbus" in page.content
    # Notes are user input: rendered escaped, never as markup.
    assert b"Loves &lt;b&gt;storms&lt;/b&gt;" in page.content


def test_create_then_edit(client):
    response = client.post(
        "/ponies/new/", {"name": "  Dusk   Wing ", "status": "galloping", "personality_notes": ""}
    )
    assert response.status_code == 302
    pony = Pony.objects.get()
    assert pony.name == "Dusk Wing"  # whitespace normalised
    assert pony.status == Pony.Status.GALLOPING
    response = client.post(
        f"/ponies/{pony.pk}/edit/",
        {"name": "Dusk Wing", "status": "show_ready", "personality_notes": "Shy"},
    )
    assert response.status_code == 302
    pony.refresh_from_db()
    assert (pony.status, pony.personality_notes) == ("show_ready", "Shy")
    assert b"Saved Dusk Wing." in client.get("/").content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "status": "grazing"}, b"This field is required."),
        ({"name": "   ", "status": "grazing"}, b"This field is required."),
        ({"name": "x" * 61, "status": "grazing"}, b"at most 60 characters"),
        ({"name": "Ok", "status": "asleep"}, b"Select a valid choice."),
        ({"name": "Ok", "status": "grazing", "personality_notes": "n" * 501}, b"at most 500"),
    ],
)
def test_invalid_input_shows_a_clear_message_and_saves_nothing(client, data, message):
    response = client.post("/ponies/new/", data)
    assert response.status_code == 200
    assert message in response.content
    assert not Pony.objects.exists()


def test_names_are_unique_ignoring_case(client):
    Pony.objects.create(name="Clover")
    response = client.post("/ponies/new/", {"name": "cLOVER", "status": "grazing"})
    assert b"There is already a pony called cLOVER" in response.content
    assert Pony.objects.count() == 1


def test_delete_has_a_no_javascript_confirmation_page(client):
    pony = Pony.objects.create(name="Goner")
    confirm = client.get(f"/ponies/{pony.pk}/delete/")
    assert confirm.status_code == 200
    assert b"Say goodbye to Goner?" in confirm.content
    assert Pony.objects.filter(pk=pony.pk).exists()  # GET never deletes
    assert client.post(f"/ponies/{pony.pk}/delete/").status_code == 302
    assert not Pony.objects.filter(pk=pony.pk).exists()


def test_release_all_confirms_then_empties_the_stable(client):
    seed_starter_roster()
    assert b"Release all 3 ponies?" in client.get("/ponies/release-all/").content
    assert Pony.objects.count() == 3
    client.post("/ponies/release-all/")
    assert not Pony.objects.exists()
    assert b"The stable is empty." in client.get("/").content


def test_missing_pony_is_404(client):
    assert client.get("/ponies/999/edit/").status_code == 404


def test_seed_creates_the_starter_roster():
    seed_starter_roster()
    assert sorted(Pony.objects.values_list("name", flat=True)) == sorted(
        name for name, _status, _notes in STARTER_ROSTER
    )


def test_a_large_stable_is_shown_a_page_at_a_time(client):
    from flying_stable.ponies.views import PONIES_PER_PAGE

    Pony.objects.bulk_create(Pony(name=f"Pony {n:04d}") for n in range(PONIES_PER_PAGE + 1))
    first = client.get("/")
    assert first.content.count(b'class="pony-card"') == PONIES_PER_PAGE
    assert f"Page 1 of 2 ({PONIES_PER_PAGE + 1} ponies)".encode() in first.content
    last = client.get("/?page=2")
    assert last.content.count(b'class="pony-card"') == 1
    assert b"Pony 0100" in last.content
    # Out-of-range or malformed page numbers show the nearest real page, never an error.
    assert client.get("/?page=99").content.count(b'class="pony-card"') == 1
    assert client.get("/?page=x").status_code == 200
