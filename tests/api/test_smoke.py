"""The shortest walk through the foundation, on both backends."""

from tests.conftest import Api, Scene


def test_person_with_shelter_round_trip(scene: Scene, admin: Api) -> None:
    p = scene.person(shelter_id=scene.shelter["id"], household_id=scene.household["id"])
    assert p["displacement"] == "mengungsi"
    assert p["shelter_id"] == scene.shelter["id"]
    got = admin.get(f"/persons/{p['id']}")
    assert got.status_code == 200
    assert got.json()["full_name"] == "Siti Aminah"
