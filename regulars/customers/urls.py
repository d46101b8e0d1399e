from django.urls import path

from .views import assets, card, card_actions, configuration, editing, listing, merging

app_name = "customers"
urlpatterns = [
    path("", listing.customer_list, name="list"),
    path("new/", editing.customer_create, name="create"),
    path("duplicates/", merging.duplicate_list, name="duplicates"),
    path("merge/", merging.merge, name="merge"),
    path("<int:customer_id>/", card.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", editing.customer_edit, name="edit"),
    path("<int:customer_id>/timeline/", card.timeline_more, name="timeline"),
    path("<int:customer_id>/contacts/", card_actions.contact_add, name="contact_add"),
    path("<int:customer_id>/contacts/<int:contact_id>/remove/", card_actions.contact_remove, name="contact_remove"),
    path("<int:customer_id>/consents/", card_actions.consent_edit, name="consent_set"),
    path("<int:customer_id>/flags/", card_actions.flag_set, name="flag_set"),
    path("<int:customer_id>/flags/<int:flag_id>/clear/", card_actions.flag_clear, name="flag_clear"),
    path("<int:customer_id>/notes/", card_actions.note_add, name="note_add"),
    path("<int:customer_id>/assets/new/", assets.asset_add, name="asset_add"),
    path("<int:customer_id>/assets/<int:asset_id>/archive/", card_actions.asset_archive, name="asset_archive"),
    path("settings/asset-types/", configuration.asset_type_list, name="asset_types"),
    path("settings/asset-types/new/", configuration.asset_type_edit, name="asset_type_create"),
    path("settings/asset-types/<int:asset_type_id>/", configuration.asset_type_edit, name="asset_type_edit"),
    path("settings/custom-fields/", configuration.custom_field_list, name="custom_fields"),
    path("settings/custom-fields/new/", configuration.custom_field_edit, name="custom_field_create"),
    path("settings/custom-fields/<int:field_id>/", configuration.custom_field_edit, name="custom_field_edit"),
]
