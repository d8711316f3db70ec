#!/bin/sh
# Short probe (64² crops, batch 4, 150 steps, lr 5e-4): the paper's plain CAE from scratch vs the same CAE as a
# residual around the block-PCA path (zero-initialised last layers). Validation: 6 Kodak 256² centre crops, real rate.
# Logs: runs/probe-{plain,pca}/log.jsonl
set -e
for variant in plain pca; do
  if [ $variant = plain ]; then lp=none; else lp=blockpca; fi
  swiftlic train training/cheng2018-cae-pca-lambda0.0015.toml --out runs/probe-$variant --no-resume --quiet \
    --steps 150 --set data.patch=64 --set data.batch_size=4 --set train.lr=5e-4 --set validate.every=150 \
    --set train.checkpoint_every=150 --set train.log_every=10 --set model.config.linear_path=$lp \
    --set model.config.latent_scale=4.0 --set model.config.basis=python/swiftlic/weights/blockpca8.safetensors
done
