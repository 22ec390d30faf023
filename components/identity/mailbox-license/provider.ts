import type * as pulumi from "@pulumi/pulumi";
import { deployingIdentity, type DeployingIdentity } from "../../../m365/credentials";
import { sendWithRetry, type RestResponse } from "../../../m365/rest";
import { requiredInputFailures } from "../../provider-inputs";

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

interface Sku {
  skuId: string;
  skuPartNumber: string;
  consumedUnits: number;
  prepaidUnits?: { enabled?: number };
}

/** The inputs, and the deploying identity an operation's calls share (one sign-in each operation). */
type Caller = MailboxLicenseInputs & { identity?: DeployingIdentity };
function signedIn(inputs: MailboxLicenseInputs): Caller {
  return { ...inputs, identity: deployingIdentity(inputs.tenantId) };
}

/** One Graph call with the deploying identity's token. */
function graphCall(inputs: Caller, method: string, path: string, body?: unknown): Promise<RestResponse> {
  const base = inputs.graphEndpoint.replace(/\/+$/, "");
  return sendWithRetry({
    tenantId: inputs.tenantId,
    method,
    url: `${base}/v1.0${path}`,
    scope: `${new URL(base).origin}/.default`,
    body,
    identity: inputs.identity,
  });
}

/** Graph's refusal as one sentence; a 401/403 names what the identity needs, where `needs` says. */
function graphFailure(what: string, status: number, json: unknown, needs?: string): Error {
  const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
  const refused = needs && (status === 401 || status === 403) ? `; this needs ${needs}` : "";
  return new Error(`${what}: Graph answered HTTP ${status}${error ? ` ${error.code ?? ""}: ${error.message ?? ""}` : ""}`.trim() + refused);
}

async function graphOk(inputs: Caller, what: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const { status, json } = await graphCall(inputs, method, path, body);
  if (status >= 200 && status < 300) return json;
  throw graphFailure(what, status, json);
}

function freeUnits(sku: Sku): number {
  return (sku.prepaidUnits?.enabled ?? 0) - sku.consumedUnits;
}

async function findSku(inputs: Caller): Promise<Sku> {
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
async function assignedSkuIds(inputs: Caller, userId: string): Promise<string[] | undefined> {
  const path = `/users/${encodeURIComponent(userId)}?$select=id,assignedLicenses`;
  const { status, json } = await graphCall(inputs, "GET", path);
  if (status === 404) return undefined;
  if (status < 200 || status >= 300)
    throw graphFailure(`reading the licences of user ${userId}`, status, json, "the Graph application permission User.Read.All");
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
    const call = signedIn(inputs);
    const sku = await findSku(call);
    const assigned = await assignedSkuIds(call, inputs.userId);
    if (assigned === undefined) throw new Error(`user ${inputs.userId} does not exist in tenant ${inputs.tenantId}`);
    if (!assigned.includes(sku.skuId)) {
      if (freeUnits(sku) <= 0) {
        throw new Error(
          `no free units of licence ${sku.skuPartNumber}: ${sku.consumedUnits} of ${sku.prepaidUnits?.enabled ?? 0} are assigned; buy more or free one`,
        );
      }
      await graphOk(
        call,
        `assigning licence ${sku.skuPartNumber} to user ${inputs.userId}`,
        "POST",
        `/users/${encodeURIComponent(inputs.userId)}/assignLicense`,
        {
          addLicenses: [{ skuId: sku.skuId, disabledPlans: [] }],
          removeLicenses: [],
        },
      );
    }
    return { id: `${inputs.userId}/${sku.skuId}`, outs: { ...inputs, skuId: sku.skuId } };
  },

  /**
   * A refresh: the licence is there while the user holds its SKU; removed by hand (or the user
   * deleted), it is gone (no id: components/exchange/objects.ts `gone` cites the engine), and the
   * next deployment assigns it again. A refusal (401/403) is an error naming the permission.
   */
  async read(id, props) {
    const state = props as MailboxLicenseOutputs;
    const assigned = await assignedSkuIds(signedIn(state), state.userId);
    if (assigned === undefined || !assigned.some((skuId) => skuId.toLowerCase() === state.skuId.toLowerCase())) return { id: "" };
    return { id, props: state };
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
    const call = signedIn(props);
    const assigned = await assignedSkuIds(call, props.userId);
    if (assigned === undefined || !assigned.includes(props.skuId)) return;
    await graphOk(
      call,
      `removing licence ${props.skuPartNumber} from user ${props.userId}`,
      "POST",
      `/users/${encodeURIComponent(props.userId)}/assignLicense`,
      {
        addLicenses: [],
        removeLicenses: [props.skuId],
      },
    );
  },
};
