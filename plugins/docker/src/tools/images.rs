//! The image tools: listing, inspecting, pulling, removing and pruning.

use super::{DELETES, LOOK, SETS_STATE, Tool, inspected, list_schema, removal_schema, removed};
use crate::format::{self, bytes, labels_json, listing};
use crate::host::ImageSummary;
use crate::params::{self, object};
use plugin_kit::{Annotations, Args, Fail, Outcome, TaskSupport};
use serde_json::{Value, json};

/// The filters the engine takes for images, for the schema.
const FILTERS: &str = "dangling=true, reference=debian:*, label=env=dev, before=debian:12, since=debian:11";

/// `docker_list_images`.
pub const LIST_IMAGES: Tool = Tool {
    name: "docker_list_images",
    title: "List Docker images",
    description: "Lists the engine's images (those the operator's scope allows), optionally filtered. \
        One line each: tags, short id, size, when built.",
    input_schema: || object(json!({"filters": params::filters_schema(FILTERS)}), &[]),
    output_schema: Some(|| list_schema("images", image_schema(), "The matching images.")),
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| Ok(images(&host.list_images(&params::filters(args)?)?)),
};

/// `docker_inspect_image`.
pub const INSPECT_IMAGE: Tool = Tool {
    name: "docker_inspect_image",
    title: "Inspect a Docker image",
    description: "The engine's full description of an image, as `docker image inspect` prints it: \
        configuration (entrypoint, command, environment, exposed ports), layers, architecture.",
    input_schema: image_only,
    output_schema: None,
    annotations: LOOK,
    task_support: TaskSupport::Forbidden,
    run: |host, args| Ok(inspected(host.inspect_image(&image(args)?)?)),
};

/// `docker_pull_image`.
pub const PULL_IMAGE: Tool = Tool {
    name: "docker_pull_image",
    title: "Pull a Docker image",
    description: "Pulls an image from its registry (tag latest when the reference names none), reporting \
        the layers' progress; cancelling the call stops the pull. May run as a task.",
    input_schema: || {
        object(
            json!({"reference": params::target_schema(
                "The image reference to pull: debian:12, ghcr.io/owner/app:1.2, nginx@sha256:…")}),
            &["reference"],
        )
    },
    output_schema: Some(image_schema),
    annotations: Annotations { open_world: Some(true), ..SETS_STATE },
    task_support: TaskSupport::Optional,
    run: |host, args| {
        let reference = params::target(args, "reference", "the image reference to pull, such as debian:12")?;
        Ok(pulled(&reference, &host.pull_image(&reference)?))
    },
};

/// `docker_remove_image`.
pub const REMOVE_IMAGE: Tool = Tool {
    name: "docker_remove_image",
    title: "Remove a Docker image",
    description: "Removes an image (untagging it, and deleting its layers once no tag is left). An image \
        containers use is refused unless `force`. The user may be asked to confirm first.",
    input_schema: || {
        object(
            json!({
                "image": image_param(),
                "force": params::force_schema("Remove it even when containers use it.")
            }),
            &["image"],
        )
    },
    output_schema: Some(removal_schema),
    annotations: DELETES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let image = image(args)?;
        let removal = host.remove_image(&image, args.bool("force", false)?)?;
        Ok(removed(&format!("Removed image {image}"), &removal))
    },
};

/// `docker_prune_images`.
pub const PRUNE_IMAGES: Tool = Tool {
    name: "docker_prune_images",
    title: "Prune unused Docker images",
    description: "Removes the images no container uses: the dangling (untagged) ones, or with `all` every \
        unused one. The user may be asked to confirm first.",
    input_schema: || {
        object(
            json!({"all": {"type": "boolean", "default": false,
                "description": "Remove every image no container uses, tagged or not (not only dangling ones)."}}),
            &[],
        )
    },
    output_schema: Some(removal_schema),
    annotations: DELETES,
    task_support: TaskSupport::Forbidden,
    run: |host, args| {
        let all = args.bool("all", false)?;
        let which = if all { "unused" } else { "dangling" };
        Ok(removed(&format!("Pruned {which} images"), &host.prune_images(all)?))
    },
};

/// The `image` parameter.
fn image_param() -> Value {
    params::target_schema("The image: a reference such as debian:12, an id, or a unique id prefix.")
}

/// The schema of the tools that take only `image`.
fn image_only() -> Value {
    object(json!({"image": image_param()}), &["image"])
}

/// The required `image` parameter.
fn image(args: &Args) -> Result<String, Fail> {
    params::target(args, "image", "the image's reference (debian:12), id or unique id prefix")
}

/// An image, as the image tools return it.
fn image_schema() -> Value {
    object(
        json!({
            "id": {"type": "string", "description": "The engine's id (sha256:…)."},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "Its tags; empty for a dangling image."},
            "size_bytes": {"type": "integer", "description": "Its size on disk, in bytes."},
            "created": {"type": "integer", "description": "When it was built, in seconds since the Unix epoch."},
            "labels": format::labels_schema()
        }),
        &["id", "tags", "size_bytes", "created", "labels"],
    )
}

/// An image as structured JSON.
fn image_json(image: &ImageSummary) -> Value {
    json!({
        "id": image.id,
        "tags": image.tags,
        "size_bytes": image.size_bytes,
        "created": image.created,
        "labels": labels_json(&image.labels)
    })
}

/// An image's tags for a table or sentence: `<none>` for a dangling image.
fn tags(image: &ImageSummary) -> String {
    if image.tags.is_empty() { "<none>".into() } else { image.tags.join(", ") }
}

/// The result of a listing.
fn images(list: &[ImageSummary]) -> Outcome {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|i| vec![tags(i), format::short_id(&i.id), bytes(i.size_bytes), format::time(i.created)])
        .collect();
    let text = listing("image", "images", &["TAGS", "ID", "SIZE", "CREATED"], &rows);
    Outcome::ok(text, json!({"images": list.iter().map(image_json).collect::<Vec<_>>()}))
}

/// The result of pulling `reference`.
fn pulled(reference: &str, image: &ImageSummary) -> Outcome {
    let text = format!(
        "Pulled {reference}: image {} ({}, built {}), tags {}.",
        format::short_id(&image.id),
        bytes(image.size_bytes),
        format::time(image.created),
        tags(image)
    );
    Outcome::ok(text, image_json(image))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::{args, assert_fits};
    use plugin_kit::testing::invalid;

    fn debian() -> ImageSummary {
        ImageSummary {
            id: "sha256:0123456789abcdef".into(),
            tags: vec!["debian:12".into(), "debian:bookworm".into()],
            size_bytes: 117_000_000,
            created: 1_767_225_600,
            labels: vec![],
        }
    }

    #[test]
    fn listings_show_tags_or_none() {
        let dangling = ImageSummary { tags: vec![], ..debian() };
        let outcome = images(&[debian(), dangling]);
        assert_eq!(
            outcome.text(),
            "2 images:\n\
             TAGS                        ID            SIZE    CREATED\n\
             debian:12, debian:bookworm  0123456789ab  117 MB  2026-01-01T00:00:00Z\n\
             <none>                      0123456789ab  117 MB  2026-01-01T00:00:00Z"
        );
        let structured = outcome.structured.unwrap();
        assert_fits(&LIST_IMAGES.output_schema.unwrap()(), &structured);
        assert_fits(&image_schema(), &structured["images"][1]);
    }

    #[test]
    fn pulls_name_the_image_they_got() {
        let outcome = pulled("debian:12", &debian());
        assert_eq!(
            outcome.text(),
            "Pulled debian:12: image 0123456789ab (117 MB, built 2026-01-01T00:00:00Z), tags debian:12, debian:bookworm."
        );
        assert_fits(&image_schema(), outcome.structured.as_ref().unwrap());
    }

    #[test]
    fn the_image_and_reference_are_required() {
        assert!(invalid(image(&args(&REMOVE_IMAGE, "{}").unwrap())).starts_with("`image` is required"));
        assert_eq!(image(&args(&INSPECT_IMAGE, r#"{"image":"debian:12"}"#).unwrap()).unwrap(), "debian:12");
        let pull = args(&PULL_IMAGE, r#"{"reference":""}"#).unwrap();
        assert!(invalid(params::target(&pull, "reference", "x")).starts_with("`reference` must not be empty"));
    }
}
