from tests.factories import make_entry


def test_entry_is_found_on_page_and_api(app, client, world):
    make_entry(world["public"].blog, world["member"], title="備課組活动", body="我们的QQ群里讨论PPT课件")
    resp = client.get("/search?q=备课组")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:3000]
    assert "<b>備課組</b>" in resp.get_data(as_text=True)
    data = client.get("/api/v1/search?q=QQ群").get_json()
    assert data["total"] == 1, data
