# Upgrades the demo cluster of a local cce-upgrade server with the Huawei Cloud provider's
# huaweicloud_cce_cluster_upgrade resource. See README.md beside this file; it has not been run here (no Terraform
# and no registry access on the machine this was written on).

terraform {
  required_providers {
    huaweicloud = {
      source  = "huaweicloud/huaweicloud"
      version = ">= 1.60.0"
    }
  }
}

variable "endpoint" {
  description = "The cce-upgrade server, as `npm start` prints it."
  type        = string
  default     = "http://127.0.0.1:8080/"
}

provider "huaweicloud" {
  region     = "cn-north-4"
  access_key = "DEMOAK0000000000001"
  secret_key = "demo-secret-key-0123456789"
  project_id = "5f1c0e2b7a9d4c3e8b6a1f0d2c4e6a8b"

  # Only the CCE service is emulated: send its calls to the server.
  endpoints = {
    cce = var.endpoint
  }
}

resource "huaweicloud_cce_cluster_upgrade" "prod_a" {
  cluster_id     = "3f7a2c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"
  target_version = "v1.29"

  strategy {
    type = "inPlaceRollingUpdate"
    in_place_rolling_update {
      user_defined_step = 20
    }
  }

  is_snapshot  = true
  is_postcheck = true
}

output "upgrade_task_id" {
  value = huaweicloud_cce_cluster_upgrade.prod_a.id
}
