//! The dataset read batch by batch for a run: images decoded and brought to the tensor's
//! size on every core, table rows converted to the signature's types ([`Producer`]), and each
//! batch's data made into a request for any range of its items ([`Shape`]), so a failed batch
//! can be sent again item by item.

use std::ops::Range;

use serde_json::Value;

use super::ItemResult;
use super::TableForm;
use super::dataset::{self, Cell, ImageFolder, TableReader};
use super::run::{Pending, Tally};
use crate::input::build::cell_value;
use crate::input::image::{ImageOptions, ImageTarget};
use crate::input::request::{BodyFormat, Inputs, Request, Tensors};

/// How a batch's data becomes a request: image tensors for the signature's image input, or a
/// frame of the sent columns.
pub(super) enum Shape<'a> {
    Images {
        input: &'a Option<String>,
        target: &'a ImageTarget,
        options: &'a ImageOptions,
    },
    Rows {
        columns: Vec<String>,
        form: &'a TableForm,
    },
}

/// A batch read from the dataset: its items and their data, kept until it is answered (a
/// failed batch is sent again item by item).
pub(super) struct Batch {
    pub(super) items: Vec<Pending>,
    pub(super) data: BatchData,
}

pub(super) enum BatchData {
    Images(Vec<::image::DynamicImage>),
    Rows(Vec<Vec<Value>>),
}

impl Shape<'_> {
    /// The request for items `range` of a batch.
    pub(super) fn request(&self, data: &BatchData, range: Range<usize>) -> Result<Request, String> {
        match (self, data) {
            (
                Shape::Images {
                    input,
                    target,
                    options,
                },
                BatchData::Images(images),
            ) => {
                let part = images.get(range).ok_or("no such items")?;
                let tensor = crate::input::image::images_to_tensor(part, target, options)
                    .map_err(|e| e.to_string())?;
                let tensors = match input {
                    None => Tensors::One(tensor),
                    Some(n) => Tensors::Named(vec![(n.clone(), tensor)]),
                };
                Ok(Request::tensors(tensors, None))
            }
            (Shape::Rows { columns, form }, BatchData::Rows(rows)) => {
                let part = rows.get(range).ok_or("no such rows")?;
                let matrix = || Value::Array(part.iter().cloned().map(Value::Array).collect());
                Ok(Request::Json(match form {
                    TableForm::Frame => crate::input::request::body(
                        &Inputs::Frame {
                            columns: columns.clone(),
                            rows: part.to_vec(),
                        },
                        None,
                        BodyFormat::Mlflow,
                    ),
                    TableForm::Positional => crate::input::request::body(
                        &Inputs::Frame {
                            columns: Vec::new(),
                            rows: part.to_vec(),
                        },
                        None,
                        BodyFormat::Mlflow,
                    ),
                    TableForm::Matrix(None) => serde_json::json!({ "inputs": matrix() }),
                    TableForm::Matrix(Some(name)) => {
                        serde_json::json!({ "inputs": { name.as_str(): matrix() } })
                    }
                    TableForm::Tensors => {
                        let mut inputs = serde_json::Map::new();
                        for (c, name) in columns.iter().enumerate() {
                            let column = part
                                .iter()
                                .map(|r| r.get(c).cloned().unwrap_or(Value::Null))
                                .collect();
                            inputs.insert(name.clone(), Value::Array(column));
                        }
                        serde_json::json!({ "inputs": inputs })
                    }
                }))
            }
            _ => Err("the batch does not fit the dataset".into()),
        }
    }
}

/// Reads the dataset batch by batch: images decoded and brought to the tensor's size on every
/// core, rows converted to the signature's types. Items that cannot be read fail here.
pub(super) enum Producer<'a> {
    Images {
        folder: &'a ImageFolder,
        next: usize,
        size: (u32, u32),
        resize: crate::input::image::Resize,
    },
    Table {
        table: Box<TableReader>,
        label: Option<usize>,
        send: &'a [super::SentColumn],
        done: bool,
    },
}

impl Producer<'_> {
    pub(super) fn next(
        &mut self,
        batch: usize,
        tally: &mut Tally<'_>,
        on_item: &mut dyn FnMut(&ItemResult),
    ) -> Option<Batch> {
        match self {
            Producer::Images {
                folder,
                next,
                size,
                resize,
            } => loop {
                if *next >= folder.len() {
                    return None;
                }
                let end = (*next + batch).min(folder.len());
                let items: Vec<dataset::ImageItem> =
                    (*next..end).filter_map(|i| folder.item(i)).collect();
                *next = end;
                let (w, h) = *size;
                let resize = *resize;
                let decoded: Vec<Result<::image::DynamicImage, String>> =
                    crate::perf::map_on_cores(
                        &items,
                        |part| {
                            Ok::<_, ()>(
                                part.iter()
                                    .map(|item| {
                                        crate::input::image::decode_held(&item.path)
                                            .map(|(d, _room)| {
                                                crate::input::image::resize(&d, w, h, resize).into()
                                            })
                                            .map_err(|e| e.to_string())
                                    })
                                    .collect(),
                            )
                        },
                        || (),
                    )
                    .unwrap_or_else(|()| {
                        items
                            .iter()
                            .map(|_| Err("the image decoder stopped unexpectedly".to_string()))
                            .collect()
                    });
                let mut pending = Vec::new();
                let mut images = Vec::new();
                for (item, result) in items.into_iter().zip(decoded) {
                    let p = Pending {
                        id: item.id,
                        label: item.label,
                    };
                    match result {
                        Ok(img) => {
                            pending.push(p);
                            images.push(img);
                        }
                        Err(e) => tally.fail(&p, e, on_item),
                    }
                }
                if !pending.is_empty() {
                    return Some(Batch {
                        items: pending,
                        data: BatchData::Images(images),
                    });
                }
            },
            Producer::Table {
                table,
                label,
                send,
                done,
            } => {
                let mut pending = Vec::new();
                let mut rows: Vec<Vec<Value>> = Vec::new();
                while !*done && pending.len() < batch {
                    let Some(row) = table.next_row() else {
                        *done = true;
                        break;
                    };
                    match row {
                        Err((id, problem)) => {
                            tally.fail(&Pending { id, label: None }, problem, on_item)
                        }
                        Ok(row) => {
                            let label = label
                                .and_then(|i| row.cells.get(i))
                                .and_then(Cell::label_text);
                            rows.push(row_values(&row, send));
                            pending.push(Pending { id: row.id, label });
                        }
                    }
                }
                (!pending.is_empty()).then_some(Batch {
                    items: pending,
                    data: BatchData::Rows(rows),
                })
            }
        }
    }
}

/// A row's sent cells, converted to the signature's types.
pub(super) fn row_values(row: &dataset::Row, send: &[super::SentColumn]) -> Vec<Value> {
    send.iter()
        .map(|(_, i, ty)| match row.cells.get(*i) {
            Some(Cell::Text(t)) => cell_value(t, ty),
            Some(Cell::Json(v)) => v.clone(),
            None => Value::Null,
        })
        .collect()
}
