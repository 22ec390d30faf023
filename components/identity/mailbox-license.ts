import * as pulumi from "@pulumi/pulumi";
import { CLOUDS } from "../../m365/clouds";
import { sendWithRetry, type RestResponse } from "../../m365/rest";
import { permissions } from "../permissions";
import { requiredInputFailures } from "../provider-inputs";

// Pulumi serializes the provider below into the stack state and runs it in another process.
// So its methods use only globals, functions (here, in m365/ or components/provider-inputs.ts)
// and npm packages `require`d where they run: no module-level values such as schemas or clients.

export interface MailboxLicenseInputs {
  tenantId: string;
  /** Entra object id of the user to license. */
  userId: string;
  /** SKU part number, e.g. EXCHANGESTANDARD. */
  skuPartNumber: string;
  /** Graph base URL without `/v1.0`. */
  graphEndpoint: string;
}
export interface MailboxLicenseOutputs extends MailboxLicenseInputs {
  skuId: string;
}

export interface MailboxLicenseArgs {
  tenantId: pulumi.Input<string>;
  userId: pulumi.Input<string>;
  skuPartNumber: pulumi.Input<string>;
  graphEndpoint?: pulumi.Input<string>;
}

/**
 * Needed for a `MailboxLicense` (Graph calls made by the deploying identity). A preview calls
 * nothing: the provider has no `read`, and its `check` and `diff` call no API.
 */
export const mailboxLicensePermissions = permissions({
  write: {
    graph: [
      "LicenseAssignment.Read.All or Organization.Read.All (reads subscribedSkus: the licence's SKU id and free units)",
      "LicenseAssignment.ReadWrite.All (assigns the worker's licence)",
      "User.Read.All",
    ],
  },
});

interface Sku {
  skuId: string;
  skuPartNumber: string;
  consumedUnits: number;
  prepaidUnits?: { enabled?: number };
}

/** One Graph call with the deploying identity's token. */
function graphCall(inputs: MailboxLicenseInputs, method: string, path: string, body?: unknown): Promise<RestResponse> {
  const base = inputs.graphEndpoint.replace(/\/+$/, "");
  return sendWithRetry({ tenantId: inputs.tenantId, method, url: `${base}/v1.0${path}`, scope: `${new URL(base).origin}/.default`, body });
}

async function graphOk(inputs: MailboxLicenseInputs, what: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const { status, json } = await graphCall(inputs, method, path, body);
  if (status >= 200 && status < 300) return json;
  const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new Error(`${what}: Graph answered HTTP ${status}${error ? ` ${error.code ?? ""}: ${error.message ?? ""}` : ""}`.trim());
}

function freeUnits(sku: Sku): number {
  return (sku.prepaidUnits?.enabled ?? 0) - sku.consumedUnits;
}

async function findSku(inputs: MailboxLicenseInputs): Promise<Sku> {
  const page = (await graphOk(inputs, "listing the tenant's licences (subscribedSkus)", "GET", "/subscribedSkus")) as { value?: Sku[] };
  const skus = page.value ?? [];
  const sku = skus.find((s) => s.skuPartNumber.toLowerCase() === inputs.skuPartNumber.toLowerCase());
  if (!sku) {
    const available = skus.map((s) => `${s.skuPartNumber} (${freeUnits(s)} free)`).join(", ") || "none";
    throw new Error(`licence SKU ${inputs.skuPartNumber} is not subscribed in tenant ${inputs.tenantId}; the tenant has: ${available}`);
  }
  return sku;
}

/** The user's assigned SKU ids, or undefined when the user no longer exists. */
async function assignedSkuIds(inputs: MailboxLicenseInputs, userId: string): Promise<string[] | undefined> {
  const path = `/users/${encodeURIComponent(userId)}?$select=id,assignedLicenses`;
  const { status, json } = await graphCall(inputs, "GET", path);
  if (status === 404) return undefined;
  if (status < 200 || status >= 300) await graphOk(inputs, `reading the licences of user ${userId}`, "GET", path);
  return ((json as { assignedLicenses?: { skuId: string }[] }).assignedLicenses ?? []).map((l) => l.skuId);
}

/**
 * Assigns a licence (which is what gives the worker its mailbox) through Graph `assignLicense`:
 * adds on create, removes on delete, adopts an assignment that already exists.
 */
export const mailboxLicenseProvider: pulumi.dynamic.ResourceProvider<MailboxLicenseInputs, MailboxLicenseOutputs> = {
  async check(_olds, news) {
    return { inputs: news, failures: requiredInputFailures(news, ["tenantId", "userId", "skuPartNumber", "graphEndpoint"], ["graphEndpoint"]) };
  },

  async create(inputs) {
    const sku = await findSku(inputs);
    const assigned = await assignedSkuIds(inputs, inputs.userId);
    if (assigned === undefined) throw new Error(`user ${inputs.userId} does not exist in tenant ${inputs.tenantId}`);
    if (!assigned.includes(sku.skuId)) {
      if (freeUnits(sku) <= 0) {
        throw new Error(
          `no free units of licence ${sku.skuPartNumber}: ${sku.consumedUnits} of ${sku.prepaidUnits?.enabled ?? 0} are assigned; buy more or free one`,
        );
      }
      await graphOk(inputs, `assigning licence ${sku.skuPartNumber} to user ${inputs.userId}`, "POST", `/users/${encodeURIComponent(inputs.userId)}/assignLicense`, {
        addLicenses: [{ skuId: sku.skuId, disabledPlans: [] }],
        removeLicenses: [],
      });
    }
    return { id: `${inputs.userId}/${sku.skuId}`, outs: { ...inputs, skuId: sku.skuId } };
  },

  async diff(_id, olds, news) {
    const replaces: string[] = (["tenantId", "userId"] as const).filter((k) => olds[k] !== news[k]);
    if (olds.skuPartNumber.toLowerCase() !== news.skuPartNumber.toLowerCase()) replaces.push("skuPartNumber");
    const changes = replaces.length > 0 || olds.graphEndpoint !== news.graphEndpoint;
    // Replacing creates the new assignment before removing the old one: the mailbox keeps a licence.
    return { changes, replaces, deleteBeforeReplace: false };
  },

  async update(_id, olds, news) {
    return { outs: { ...news, skuId: olds.skuId } };
  },

  async delete(_id, props) {
    const assigned = await assignedSkuIds(props, props.userId);
    if (assigned === undefined || !assigned.includes(props.skuId)) return;
    await graphOk(props, `removing licence ${props.skuPartNumber} from user ${props.userId}`, "POST", `/users/${encodeURIComponent(props.userId)}/assignLicense`, {
      addLicenses: [],
      removeLicenses: [props.skuId],
    });
  },
};

/** The worker's mailbox licence; azuread has no licence resource. */
export class MailboxLicense extends pulumi.dynamic.Resource {
  declare readonly skuId: pulumi.Output<string>;

  constructor(name: string, args: MailboxLicenseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      mailboxLicenseProvider,
      name,
      { ...args, graphEndpoint: args.graphEndpoint ?? CLOUDS.global.graph, skuId: undefined },
      opts,
      "identity",
      "MailboxLicense",
    );
  }
}
